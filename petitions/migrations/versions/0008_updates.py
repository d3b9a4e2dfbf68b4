"""updates, deliveries, suppressions, Spanish content

Revision ID: updates_0001
Revises: accounts_0001
"""

from alembic import op
import sqlalchemy as sa


revision = "updates_0001"
down_revision = "accounts_0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint("email_key", name=op.f("uq_suppressions_email_key")),
    )
    op.create_table(
        "updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("subject_es", sa.String(length=200), nullable=False),
        sa.Column("body_es", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_updates_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_updates_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_updates")),
    )
    op.create_table(
        "mailings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_mailings_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_mailings_sent_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["updates.id"],
            name=op.f("fk_mailings_update_id_updates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailings")),
        sa.UniqueConstraint("key", name=op.f("uq_mailings_key")),
    )
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mailings_status_scheduled", ["status", "scheduled_at"], unique=False
        )

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("unsubscribe_token", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendee_id"],
            ["attendees.id"],
            name=op.f("fk_deliveries_attendee_id_attendees"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["mailing_id"],
            ["mailings.id"],
            name=op.f("fk_deliveries_mailing_id_mailings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "mailing_id", "email_key", name=op.f("uq_deliveries_mailing_id_email_key")
        ),
        sa.UniqueConstraint("unsubscribe_token", name=op.f("uq_deliveries_unsubscribe_token")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_mailing_status", ["mailing_id", "status"], unique=False
        )

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_es", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("description_es", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("meeting_point_es", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("route_notes_es", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("reminder_hours", sa.String(length=40), nullable=False, server_default="24,2")
        )

    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_es", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("summary_es", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("body_es", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("addressed_to_es", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("waitlist_label_es", sa.String(length=200), nullable=False, server_default="")
        )

    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=8), nullable=False, server_default="en")
        )


def downgrade():
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_column("language")

    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.drop_column("waitlist_label_es")
        batch_op.drop_column("addressed_to_es")
        batch_op.drop_column("body_es")
        batch_op.drop_column("summary_es")
        batch_op.drop_column("title_es")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("reminder_hours")
        batch_op.drop_column("route_notes_es")
        batch_op.drop_column("meeting_point_es")
        batch_op.drop_column("description_es")
        batch_op.drop_column("name_es")

    with op.batch_alter_table("attendees", schema=None) as batch_op:
        batch_op.drop_column("language")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_mailing_status")

    op.drop_table("deliveries")
    with op.batch_alter_table("mailings", schema=None) as batch_op:
        batch_op.drop_index("ix_mailings_status_scheduled")

    op.drop_table("mailings")
    op.drop_table("updates")
    op.drop_table("suppressions")
