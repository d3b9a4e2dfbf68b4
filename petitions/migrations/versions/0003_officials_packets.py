"""officials directory, petition targets, packet settings/records/jobs

Revision ID: packets_0001
Revises: 0002_rallies
"""

import sqlalchemy as sa
from alembic import op

revision = "packets_0001"
down_revision = "0002_rallies"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "officials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.Column("district", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officials")),
    )
    op.create_table(
        "official_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_official_areas_official_id_officials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_official_areas")),
        sa.UniqueConstraint(
            "official_id", "kind", "key", name=op.f("uq_official_areas_official_id_kind_key")
        ),
    )
    with op.batch_alter_table("official_areas") as batch_op:
        batch_op.create_index("ix_official_areas_kind_key", ["kind", "key"], unique=False)

    op.create_table(
        "petition_targets",
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_petition_targets_official_id_officials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_targets_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("petition_id", "official_id", name=op.f("pk_petition_targets")),
    )
    op.create_table(
        "packet_settings",
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("cover_letter", sa.Text(), nullable=False),
        sa.Column("show_waitlist_numbers", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.String(length=8), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.Column("delivered_note", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivered_by_id"],
            ["users.id"],
            name=op.f("fk_packet_settings_delivered_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_packet_settings_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("petition_id", name=op.f("pk_packet_settings")),
    )
    op.create_table(
        "packet_story_exclusions",
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_packet_story_exclusions_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_packet_story_exclusions_signature_id_signatures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "petition_id", "signature_id", name=op.f("pk_packet_story_exclusions")
        ),
    )
    op.create_table(
        "packet_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=True),
        sa.Column("addressed_to", sa.String(length=300), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("filter_text", sa.String(length=500), nullable=False),
        sa.Column("sort_order", sa.String(length=8), nullable=False),
        sa.Column("paper", sa.String(length=8), nullable=False),
        sa.Column("show_waitlist_numbers", sa.Boolean(), nullable=False),
        sa.Column("signature_count", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_packet_records_official_id_officials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_packet_records_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_packet_records_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_records")),
    )
    with op.batch_alter_table("packet_records") as batch_op:
        batch_op.create_index(
            "ix_packet_records_petition_created", ["petition_id", "created_at"], unique=False
        )

    op.create_table(
        "packet_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("backend", sa.String(length=8), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_packet_jobs_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["packet_records.id"],
            name=op.f("fk_packet_jobs_record_id_packet_records"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_packet_jobs_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_jobs")),
    )


def downgrade():
    op.drop_table("packet_jobs")
    with op.batch_alter_table("packet_records") as batch_op:
        batch_op.drop_index("ix_packet_records_petition_created")
    op.drop_table("packet_records")
    op.drop_table("packet_story_exclusions")
    op.drop_table("packet_settings")
    op.drop_table("petition_targets")
    with op.batch_alter_table("official_areas") as batch_op:
        batch_op.drop_index("ix_official_areas_kind_key")
    op.drop_table("official_areas")
    op.drop_table("officials")
