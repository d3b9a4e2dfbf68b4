"""needs and household RSVPs: what an attendee asks for, how many places an RSVP holds

Revision ID: needs_0001
Revises: tickets_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "needs_0001"
down_revision = "tickets_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column(
                "interpretation_languages", sa.String(length=40), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column("max_party_size", sa.Integer(), nullable=False, server_default="4")
        )
    with op.batch_alter_table("attendees") as batch:
        batch.add_column(
            sa.Column("needs", sa.String(length=80), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("needs_note", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "interpretation_language", sa.String(length=8), nullable=False, server_default=""
            )
        )
        batch.add_column(sa.Column("party_size", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("attendees") as batch:
        batch.drop_column("party_size")
        batch.drop_column("interpretation_language")
        batch.drop_column("needs_note")
        batch.drop_column("needs")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("max_party_size")
        batch.drop_column("interpretation_languages")
