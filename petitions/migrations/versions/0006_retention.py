"""retention: per-petition/event retention days, removal and archive dates

Revision ID: retention_0001
Revises: badges_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "retention_0001"
down_revision = "badges_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("petitions") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("personal_data_removed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("personal_data_removed_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("events") as batch:
        batch.drop_column("personal_data_removed_at")
        batch.drop_column("retention_days")
    with op.batch_alter_table("petitions") as batch:
        batch.drop_column("personal_data_removed_at")
        batch.drop_column("retention_days")
        batch.drop_column("archived_at")
