"""deliveries the mail server did not take are retried: their tries and next try

Revision ID: baddays_0001
Revises: tickets_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "baddays_0001"
down_revision = "tickets_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
