"""kiosk entries: each welcome-table entry once, by its client-made id

Revision ID: kiosk_0001
Revises: webhooks_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "kiosk_0001"
down_revision = "webhooks_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kiosk_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("petition_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=120), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_kiosk_entries_attendee_id_attendees"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_kiosk_entries_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_kiosk_entries_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_kiosk_entries_signature_id_signatures"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_kiosk_entries_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_entries")),
        sa.UniqueConstraint("client_id", name=op.f("uq_kiosk_entries_client_id")),
    )
    with op.batch_alter_table("kiosk_entries") as batch:
        batch.create_index("ix_kiosk_entries_event_result", ["event_id", "result"], unique=False)


def downgrade():
    with op.batch_alter_table("kiosk_entries") as batch:
        batch.drop_index("ix_kiosk_entries_event_result")
    op.drop_table("kiosk_entries")
