"""sealed ticket tokens, so reminders can carry the ticket's QR code

Revision ID: tickets_0001
Revises: updates_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "tickets_0001"
down_revision = "updates_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("attendees") as batch:
        batch.add_column(
            sa.Column("ticket_sealed", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("attendees") as batch:
        batch.drop_column("ticket_sealed")
