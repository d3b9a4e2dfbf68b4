import enum
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
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


class Need(enum.StrEnum):
    """What an attendee may ask the organizers for (Attendee.needs, in this order)."""

    INTERPRETATION = "interpretation"
    CHILDCARE = "childcare"
    ACCESSIBILITY = "accessibility"


NEED_VALUES = tuple(n.value for n in Need)
# What each need is called on forms, the dashboard, the scanner and exports' labels.
NEED_LABELS = {
    Need.INTERPRETATION: _l("Interpretation"),
    Need.CHILDCARE: _l("Childcare"),
    Need.ACCESSIBILITY: _l("Accessibility (step-free route, seating)"),
}
# Languages an event can offer interpretation in (Event.interpretation_languages), with
# the interpretation's name and the short mark printed on badges.
INTERPRETATION_LABELS = {
    "es": _l("Spanish interpretation"),
    "asl": _l("ASL interpretation"),
}
INTERPRETATION_MARKS = {"es": "ES", "asl": "ASL"}
DEFAULT_MAX_PARTY_SIZE = 4


def split_codes(stored: str) -> list[str]:
    """A stored comma-separated list ("es,asl", "interpretation,childcare") as its codes."""
    return [code for code in (part.strip() for part in (stored or "").split(",")) if code]


def needs_of(stored: str) -> list[Need]:
    """Attendee.needs as Need members (unknown values left out)."""
    return [Need(v) for v in split_codes(stored) if v in NEED_VALUES]


def need_labels(needs: str, interpretation_language: str = "") -> list[str]:
    """Stored needs as shown to organizers and on the scanner, interpretation named by
    its language: ["Spanish interpretation", "Childcare"]."""
    labels = []
    for need in needs_of(needs):
        if need == Need.INTERPRETATION and interpretation_language in INTERPRETATION_LABELS:
            labels.append(str(INTERPRETATION_LABELS[interpretation_language]))
        else:
            labels.append(str(NEED_LABELS[need]))
    return labels


def interpretation_mark(needs: str, interpretation_language: str) -> str:
    """The short mark printed on a badge for someone needing interpretation ("ES",
    "ASL"), so interpreters find their people; "" for everyone else."""
    if Need.INTERPRETATION not in needs_of(needs):
        return ""
    return INTERPRETATION_MARKS.get(interpretation_language, "")


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
    # Languages interpretation is offered in, comma-separated INTERPRETATION_LABELS keys
    # ("" = none: the RSVP form does not offer interpretation).
    interpretation_languages: Mapped[str] = mapped_column(String(40), default="")
    # The most places one RSVP may hold ("me and 2 children" = 3).
    max_party_size: Mapped[int] = mapped_column(default=DEFAULT_MAX_PARTY_SIZE)
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
    def offered_languages(self) -> list[str]:
        """The interpretation languages this event offers, known ones only, in order."""
        return [c for c in split_codes(self.interpretation_languages) if c in INTERPRETATION_LABELS]

    @property
    def rsvp_count(self) -> int:
        """Places held by RSVPs: the sum of Attendee.places (a household of 3 holds 3;
        walk-ups and revoked tickets hold none)."""
        return (
            db.session.scalar(
                select(func.coalesce(func.sum(Attendee.places), 0)).where(
                    Attendee.event_id == self.id
                )
            )
            or 0
        )

    def places_left(self) -> int | None:
        """Places still free (None: no capacity)."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.rsvp_count, 0)

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
    # Need values, comma-separated in Need order ("" = none); see needs_list.
    needs: Mapped[str] = mapped_column(String(80), default="")
    needs_note: Mapped[str] = mapped_column(String(200), default="")  # LIMITS["needs_note"]
    # With Need.INTERPRETATION: which of the event's languages ("es", "asl").
    interpretation_language: Mapped[str] = mapped_column(String(8), default="")
    # People this RSVP holds places for, the person included.
    party_size: Mapped[int] = mapped_column(default=1)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    event: Mapped[Event] = relationship()
    checked_in_by = relationship("User")

    @hybrid_property
    def places(self) -> int:
        """Places this attendee holds: the party of an RSVP; a walk-up or a revoked ticket
        holds none. The one definition Event.rsvp_count, capacity, stats and exports use."""
        return 0 if (self.walk_up or self.revoked) else self.party_size

    @places.inplace.expression
    @classmethod
    def _places_expression(cls) -> ColumnElement[int]:
        return case((or_(cls.walk_up.is_(True), cls.revoked.is_(True)), 0), else_=cls.party_size)

    @classmethod
    def has_need(cls, need: str) -> ColumnElement[bool]:
        """SQL: this attendee asked for `need` (a Need value)."""
        return (literal(",") + cls.needs + literal(",")).contains(f",{need},", autoescape=True)

    @property
    def needs_list(self) -> list[Need]:
        return needs_of(self.needs)

    def need_labels(self) -> list[str]:
        """The needs as shown to organizers and on the scanner, interpretation named by its
        language ("Spanish interpretation", "Childcare")."""
        labels = []
        for need in self.needs_list:
            if (
                need == Need.INTERPRETATION
                and self.interpretation_language in INTERPRETATION_LABELS
            ):
                labels.append(str(INTERPRETATION_LABELS[self.interpretation_language]))
            else:
                labels.append(str(NEED_LABELS[need]))
        return labels

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
            needs="",
            needs_note="",
            interpretation_language="",
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
