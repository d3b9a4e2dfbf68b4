import enum
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from petitions.core.extensions import db
from petitions.models.base import removed, utcnow
from petitions.models.petition import Petition


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


# An event without an end time is over this long after its start.
DEFAULT_DURATION = timedelta(hours=3)
# The poster's sign-in takes people from this long before the start to this long after the end.
SIGNIN_EARLY = timedelta(hours=12)
SIGNIN_LATE = timedelta(hours=12)


class EventState(enum.StrEnum):
    """Whether an event takes RSVPs (Event.rsvp_state) or sign-ins (Event.signin_state)."""

    OPEN = "open"
    DRAFT = "draft"
    CANCELLED = "cancelled"
    EARLY = "early"  # sign-in only: too long before the start
    ENDED = "ended"
    FULL = "full"  # RSVP only: every place is held (the door turns nobody away)


class Event(db.Model):
    """A rally, march or meeting people RSVP to and check in at."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    starts_at: Mapped[datetime]  # naive UTC
    ends_at: Mapped[datetime | None]  # naive UTC
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    place: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    meeting_point: Mapped[str] = mapped_column(String(300), default="")
    route_notes: Mapped[str] = mapped_column(Text, default="")
    # Spanish twins (empty: the English text is shown, marked lang="en").
    name_es: Mapped[str] = mapped_column(String(200), default="")
    description_es: Mapped[str] = mapped_column(Text, default="")  # sanitized HTML
    meeting_point_es: Mapped[str] = mapped_column(String(300), default="")
    route_notes_es: Mapped[str] = mapped_column(Text, default="")
    # Hours before the start at which RSVPs get a reminder, comma-separated ("" = none).
    reminder_hours: Mapped[str] = mapped_column(String(40), default="24,2")
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id", ondelete="SET NULL"))
    capacity: Mapped[int | None]
    ask_waitlist: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT)
    # Secret in the poster QR code; rotating it retires printed posters.
    signin_key: Mapped[str] = mapped_column(String(40), unique=True)
    # Days the attendees' personal data is kept after the event (None: RETENTION_DAYS).
    retention_days: Mapped[int | None]
    personal_data_removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    petition: Mapped[Petition | None] = relationship()

    @property
    def end(self) -> datetime:
        """When the event is over (naive UTC): its end time, or DEFAULT_DURATION after its
        start. RSVPs close then, sign-ins SIGNIN_LATE later, the calendar file ends then and
        the retention clock of its attendees' data starts then."""
        return self.ends_at or self.starts_at + DEFAULT_DURATION

    @property
    def rsvp_count(self) -> int:
        """RSVPs that hold a place (walk-ups and revoked tickets do not)."""
        return (
            db.session.scalar(
                select(func.count(Attendee.id)).where(
                    Attendee.event_id == self.id,
                    Attendee.walk_up.is_(False),
                    Attendee.revoked.is_(False),
                )
            )
            or 0
        )

    def _closed_state(self) -> EventState | None:
        if self.status == EventStatus.CANCELLED:
            return EventState.CANCELLED
        if self.status != EventStatus.PUBLISHED:
            return EventState.DRAFT
        return None

    def rsvp_state(self, now: datetime | None = None) -> EventState:
        """open, draft, cancelled, ended (at `end`) or full (capacity reached)."""
        now = now or utcnow()
        if (closed := self._closed_state()) is not None:
            return closed
        if now >= self.end:
            return EventState.ENDED
        if self.capacity is not None and self.rsvp_count >= self.capacity:
            return EventState.FULL
        return EventState.OPEN

    def signin_state(self, now: datetime | None = None) -> EventState:
        """open, draft, cancelled, early or ended: from SIGNIN_EARLY before the start to
        SIGNIN_LATE after the end (capacity does not turn people away at the door)."""
        now = now or utcnow()
        if (closed := self._closed_state()) is not None:
            return closed
        if now < self.starts_at - SIGNIN_EARLY:
            return EventState.EARLY
        if now >= self.end + SIGNIN_LATE:
            return EventState.ENDED
        return EventState.OPEN


class Attendee(db.Model):
    """An RSVP or a walk-up; holds the personal ticket (only its hash is stored)."""

    __tablename__ = "attendees"
    __table_args__ = (
        UniqueConstraint("event_id", "email_key"),
        Index("ix_attendees_event_checked_in", "event_id", "checked_in_at"),
        Index("ix_attendees_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # The holder of the email (models.person); None after retention.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the ticket token
    # The ticket token sealed with a key from SECRET_KEY (services.tickets), so a reminder
    # can carry the QR code; "" for tickets made before, and after retention.
    ticket_sealed: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    postal_code: Mapped[str] = mapped_column(String(10), default="")
    waitlist_number: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(8), default="en")  # of the page they used
    walk_up: Mapped[bool] = mapped_column(default=False)  # signed in at the rally without an RSVP
    signed_petition: Mapped[bool] = mapped_column(default=False)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[Event] = relationship()
    checked_in_by = relationship("User")

    @classmethod
    def personal_data_removed(cls) -> dict:
        """What retention writes over an attendee's personal data, in one UPDATE (a column
        of personal data added here is removed with the rest)."""
        return dict(
            name="",
            email="",
            email_key=removed(cls.id),
            phone="",
            postal_code="",
            waitlist_number=None,
            token_hash=removed(cls.id),
            ticket_sealed="",
            person_id=None,
        )


class CheckIn(db.Model):
    """Every scan, as a log. A client nonce makes a retried or offline-queued scan count once."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    device: Mapped[str] = mapped_column(String(120), default="")
    result: Mapped[str] = mapped_column(String(16))  # ok, already, unknown
    scanned_at: Mapped[datetime | None]  # when the device scanned (offline queues sync later)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
