"""people (the holders of email addresses), tags, and the links of signatures and
attendees to their person, backfilled from the rows already stored

Revision ID: api_0001
Revises: kiosk_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "api_0001"
down_revision = "kiosk_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("locality", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_key"),
    )
    op.create_index("ix_people_modified_at", "people", ["modified_at", "id"])
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "person_tags",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "tag_id"),
    )
    for table, index in (("signatures", "ix_signatures_person"), ("attendees", "ix_attendees_person")):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(
                f"fk_{table}_person_id", "people", ["person_id"], ["id"], ondelete="SET NULL"
            )
            batch.create_index(index, ["person_id"])
            if table == "signatures":
                batch.create_index("ix_signatures_petition_listed", ["petition_id", "hidden", "id"])
    # The backfill (the same statements as core.people.link_unlinked, written out here so
    # this file does not change with the code): the first row of an address names its
    # person; rows without an email, and rows retention emptied, have none.
    op.execute(
        "INSERT INTO people (email, email_key, given_name, family_name, postal_code, locality,"
        " language, created_at, modified_at)"
        " SELECT email, email_key, given_name, family_name, postal_code, town, language,"
        " created_at, created_at FROM signatures WHERE email <> '' ORDER BY id"
        " ON CONFLICT (email_key) DO NOTHING"
    )
    op.execute(
        "INSERT INTO people (email, email_key, given_name, family_name, postal_code, locality,"
        " language, created_at, modified_at)"
        " SELECT email, email_key, name, '', postal_code, '', language, created_at, created_at"
        " FROM attendees WHERE email <> '' ORDER BY id"
        " ON CONFLICT (email_key) DO NOTHING"
    )
    for table in ("signatures", "attendees"):
        op.execute(
            f"UPDATE {table} SET person_id = (SELECT people.id FROM people"
            f" WHERE people.email_key = {table}.email_key) WHERE email <> ''"
        )


def downgrade():
    for table, index in (("signatures", "ix_signatures_person"), ("attendees", "ix_attendees_person")):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(index)
            if table == "signatures":
                batch.drop_index("ix_signatures_petition_listed")
            batch.drop_constraint(f"fk_{table}_person_id", type_="foreignkey")
            batch.drop_column("person_id")
    op.drop_table("person_tags")
    op.drop_table("tags")
    op.drop_index("ix_people_modified_at", table_name="people")
    op.drop_table("people")
