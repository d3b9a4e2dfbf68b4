"""Mail to many people: petition updates, rally reminders and notices, the suppression list.

A Mailing is one send to one audience; each recipient gets a Delivery row (unique per
mailing and address), so a worker killed mid-send resumes where it stopped and nobody
gets the same mail twice."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import utcnow


class Audience(enum.StrEnum):
    SIGNERS = "signers"  # everyone who signed, for news about this petition
    OPTED_IN = "opted_in"  # only those who asked for updates


class MailingKind(enum.StrEnum):
    UPDATE = "update"
    REMINDER = "reminder"
    EVENT_CHANGED = "event_changed"
    EVENT_CANCELLED = "event_cancelled"


class MailingStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    EMPTY = "empty"  # nobody to send to; nothing was sent


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # unsubscribed between queueing and sending


class Update(db.Model):
    """News an organizer writes to a petition's supporters, in English and Spanish."""

    __tablename__ = "updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    subject_es: Mapped[str] = mapped_column(String(200), default="")
    body_es: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    audience: Mapped[str] = mapped_column(String(16), default=Audience.SIGNERS)
    published: Mapped[bool] = mapped_column(default=False)  # shown on the petition page
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    petition = relationship("Petition")
    created_by = relationship("User")
    mailing: Mapped["Mailing | None"] = relationship(back_populates="update", uselist=False)


class Mailing(db.Model):
    __tablename__ = "mailings"
    __table_args__ = (Index("ix_mailings_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What makes this send unique ("update:7", "reminder:3:24:<start>"): a double-clicked
    # Send, or a reminder two workers find due at once, is one mailing.
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default=MailingStatus.DRAFT)
    scheduled_at: Mapped[datetime | None]  # naive UTC; None: at once
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    # The sending worker renews this while it works; past it, the worker is taken for dead
    # and the next due-mail check resumes the send from the deliveries still queued.
    lease_until: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    delivered: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # Frozen for change notices: what the event looked like when it changed.
    note: Mapped[str] = mapped_column(Text, default="")

    update: Mapped[Update | None] = relationship(back_populates="mailing")
    sent_by = relationship("User")


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("mailing_id", "email_key"),
        Index("ix_deliveries_mailing_status", "mailing_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="en")
    name: Mapped[str] = mapped_column(String(200), default="")
    # The attendee whose ticket a rally mail carries (None for updates).
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="SET NULL"))
    # Random one-click unsubscribe secret (130 bits); it says nothing about the address.
    unsubscribe_token: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED)
    sent_at: Mapped[datetime | None]
    # Tries the mail server did not take (down, timed out, "try later"); while queued,
    # not to be tried again before next_attempt_at. `error` is the last reason, in words.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(String(300), default="")


class Suppression(db.Model):
    """Addresses no update or reminder goes to: unsubscribed, bounced, complained."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str] = mapped_column(String(40), default="unsubscribed")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
