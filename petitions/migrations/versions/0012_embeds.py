"""per-petition list of the sites that may frame its embed

Revision ID: embeds_0001
Revises: needs_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "embeds_0001"
down_revision = "needs_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("petitions") as batch:
        batch.add_column(sa.Column("embed_origins", sa.Text(), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("petitions") as batch:
        batch.drop_column("embed_origins")
