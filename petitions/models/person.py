"""People: the holder of an email address, as Action Network and the OSDI API see them.

A person is one email address. Signatures and RSVPs point at the person whose address
they carry (`person_id`); household members who sign with a shared address are
distinct signatures of one person. Rows without an email (paper sheets) have no
person. Every way a signature or attendee is stored links it (core.people)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from petitions.core.extensions import db
from petitions.models.base import utcnow


class Person(db.Model):
    __tablename__ = "people"
    __table_args__ = (Index("ix_people_modified_at", "modified_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))  # as first given, for display
    email_key: Mapped[str] = mapped_column(String(254), unique=True)  # core.text.normalize_email
    given_name: Mapped[str] = mapped_column(String(100), default="")
    family_name: Mapped[str] = mapped_column(String(100), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    locality: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped when the person changes (a new name through the API, an unsubscribe), for
    # the API's `modified_date gt` incremental syncs.
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonTag(db.Model):
    __tablename__ = "person_tags"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
