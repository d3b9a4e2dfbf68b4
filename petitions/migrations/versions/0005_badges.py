"""badges: designs, calibrations, sheets, prints

Revision ID: badges_0001
Revises: 0002_rallies
"""

import sqlalchemy as sa
from alembic import op

revision = "badges_0001"
down_revision = "checkin_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "badge_designs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("line_above", sa.String(length=120), nullable=False),
        sa.Column("line_below", sa.String(length=120), nullable=False),
        sa.Column("line_above_es", sa.String(length=120), nullable=False),
        sa.Column("line_below_es", sa.String(length=120), nullable=False),
        sa.Column("number_format", sa.String(length=20), nullable=False),
        sa.Column("show_first_name", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_badge_designs_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_designs")),
        sa.UniqueConstraint("petition_id", name=op.f("uq_badge_designs_petition_id")),
    )
    op.create_table(
        "badge_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("design_id", sa.Integer(), nullable=False),
        sa.Column("stock", sa.String(length=40), nullable=False),
        sa.Column("offset_x_mm", sa.Float(), nullable=False),
        sa.Column("offset_y_mm", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["design_id"],
            ["badge_designs.id"],
            name=op.f("fk_badge_calibrations_design_id_badge_designs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_calibrations")),
        sa.UniqueConstraint(
            "design_id", "stock", name=op.f("uq_badge_calibrations_design_id_stock")
        ),
    )
    op.create_table(
        "badge_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("stock", sa.String(length=40), nullable=False),
        sa.Column("badge_count", sa.Integer(), nullable=False),
        sa.Column("blank_count", sa.Integer(), nullable=False),
        sa.Column("signature_ids", sa.Text(), nullable=False),
        sa.Column("attendee_ids", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("printed_at", sa.DateTime(), nullable=True),
        sa.Column("printed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_badge_sheets_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_badge_sheets_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_badge_sheets_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["printed_by_id"], ["users.id"], name=op.f("fk_badge_sheets_printed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_sheets")),
    )
    with op.batch_alter_table("badge_sheets") as batch_op:
        batch_op.create_index(batch_op.f("ix_badge_sheets_petition_id"), ["petition_id"])
        batch_op.create_index(batch_op.f("ix_badge_sheets_event_id"), ["event_id"])
    op.create_table(
        "badge_prints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=True),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("stock", sa.String(length=40), nullable=False),
        sa.Column("printed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["badge_sheets.id"],
            name=op.f("fk_badge_prints_sheet_id_badge_sheets"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_badge_prints_signature_id_signatures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_badge_prints_attendee_id_attendees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_badge_prints")),
    )
    with op.batch_alter_table("badge_prints") as batch_op:
        batch_op.create_index("ix_badge_prints_signature", ["signature_id"])
        batch_op.create_index("ix_badge_prints_attendee", ["attendee_id"])


def downgrade():
    op.drop_table("badge_prints")
    op.drop_table("badge_sheets")
    op.drop_table("badge_calibrations")
    op.drop_table("badge_designs")
