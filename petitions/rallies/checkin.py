"""Check-in at the rally: scans of personal tickets, logged, applied once.

- Idempotent by the client's nonce: a retried or offline-queued scan that reaches
  the server twice is answered with the first answer and logged once (the unique
  constraint on checkins.nonce decides, so two copies racing each other are safe; a
  checked-in ticket is never checked out, so a repeated scan never claims it again).
- Two volunteers scanning the same ticket at the same instant: the check-in is a
  conditional UPDATE ... WHERE checked_in_at IS NULL (fast_checkin.claim, also used by
  the poster sign-in) and the row it returns says who won, on SQLite and PostgreSQL
  alike; the other gets "already".
- Every scan is a CheckIn row: who, when (server and device time), device, result.

The service writes in the caller's session and never commits: the route commits once.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from flask_babel import force_locale
from sqlalchemy import func, select

from petitions.core import signals
from petitions.core.extensions import db
from petitions.core.text import clean_line
from petitions.core.timezones import format_local, iso_utc, naive_utc
from petitions.core.tokens import is_well_formed, new_token, normalize_token, token_hash
from petitions.models import Attendee, CheckIn, Event, User
from petitions.models.base import utcnow
from petitions.models.event import need_labels, needs_of
from petitions.rallies import fast_checkin

OK, ALREADY, UNKNOWN = "ok", "already", "unknown"
NONCE_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
HASH_RE = re.compile(r"^[0-9a-f]{64}$")
# Device clocks are trusted for offline-queued scans, within reason.
MAX_CLOCK_AHEAD = timedelta(minutes=5)
MAX_QUEUE_AGE = timedelta(days=3)


class CheckInInputError(ValueError):
    """The request itself is malformed (not a scan result): the API answers 400."""


@dataclass
class ScanResult:
    result: str
    name: str | None = None
    checked_in_at: datetime | None = None  # naive UTC
    checked_in_by: str | None = None
    timezone: str = "America/New_York"
    event: str | None = None  # slug
    replayed: bool = False
    reason: str = ""
    extra: dict = field(default_factory=dict)
    needs: str = ""  # Attendee.needs as stored
    interpretation_language: str = ""
    party_size: int | None = None

    @property
    def need_labels(self) -> list[str]:
        """In English, as the scanner's other messages."""
        with force_locale("en"):
            return need_labels(self.needs, self.interpretation_language)

    @property
    def local_time(self) -> str:
        if self.checked_in_at is None:
            return ""
        return format_local(self.checked_in_at, self.timezone)

    @property
    def message(self) -> str:
        if self.result == OK:
            return "Checked in"
        if self.result == ALREADY:
            by = f" by {self.checked_in_by}" if self.checked_in_by else ""
            return f"Already checked in at {self.local_time}{by}"
        if self.reason == "other_event":
            return "Unknown ticket: it is for another event"
        return "Unknown ticket"

    def to_json(self) -> dict:
        return {
            "result": self.result,
            "name": self.name,
            "checked_in_at": iso_utc(self.checked_in_at),
            "checked_in_at_local": self.local_time or None,
            "checked_in_by": self.checked_in_by,
            "event": self.event,
            "message": self.message,
            "replayed": self.replayed,
            **({"reason": self.reason} if self.reason else {}),
            **(self._party() if self.result in (OK, ALREADY) else {}),
        }

    def _party(self) -> dict:
        """Needs and party size, for the volunteer to act on ("Needs: Spanish
        interpretation, Childcare", "Party of 3")."""
        labels = self.need_labels
        return {
            "needs": [n.value for n in needs_of(self.needs)],
            "needs_labels": labels,
            "needs_display": ", ".join(labels),
            "interpretation_language": self.interpretation_language or None,
            "party_size": self.party_size or 1,
        }


def display_name(name: str | None, email: str | None) -> str | None:
    """How a volunteer is named to other volunteers: their name, else their email's local part."""
    if name:
        return name
    if email:
        return email.split("@", 1)[0]
    return None


def ticket_token(text: str) -> str | None:
    """The ticket token in what a scanner read: a /t/<token> URL or the bare token."""
    text = (text or "").strip()
    if "/" in text:
        path = urlsplit(text).path if "://" in text else text
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[-2] == "t":
            text = parts[-1]
        else:
            return None
    token = normalize_token(text)
    return token if is_well_formed(token) else None


def parse_nonce(nonce) -> str:
    if not isinstance(nonce, str) or not NONCE_RE.match(nonce):
        raise CheckInInputError(
            "nonce must be a string of 8 to 64 letters, digits, '-', '_', '.' or ':'"
        )
    return nonce


def parse_scanned_at(value, now: datetime) -> datetime | None:
    """ISO 8601 device time → naive UTC, or None; clamped to [now - 3 days, now + 5 min] → now."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise CheckInInputError("scanned_at must be an ISO 8601 time")
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError as e:
        raise CheckInInputError("scanned_at must be an ISO 8601 time") from e
    dt = naive_utc(dt)
    if dt > now + MAX_CLOCK_AHEAD or dt < now - MAX_QUEUE_AGE:
        return now
    return min(dt, now)


def check_in(
    token: str | None,
    nonce: str,
    user,
    device: str = "",
    scanned_at=None,
    event: "_Scope | None" = None,
    hashed: str | None = None,
) -> ScanResult:
    """Check a ticket in (in the session, not committed). `token` is what was scanned
    (token or ticket URL); staff searching by name send the roster's `hashed` token
    instead. `event` (event_scope()) limits the scan to one event. `user` is the staff
    member (anything with id, name and email)."""
    nonce = parse_nonce(nonce)
    now = utcnow()
    when = parse_scanned_at(scanned_at, now) or now
    device = clean_line(device if isinstance(device, str) else "")[:120]

    if hashed is not None:
        if not isinstance(hashed, str) or not HASH_RE.match(hashed):
            raise CheckInInputError("token_hash must be 64 lower-case hex digits")
        digest = hashed
    else:
        if not isinstance(token, str) or len(token) > 2000:
            raise CheckInInputError("token must be a string")
        parsed = ticket_token(token)
        digest = token_hash(parsed) if parsed else None

    # The scan is tried first and its nonce checked when it is logged: a new scan, the
    # common case, costs the claim and the log and nothing else.
    staff = _Staff(user.id, display_name(user.name, user.email))
    result, attendee_id, event_id = _scan(digest, staff, when, event)
    log = {
        "nonce": nonce,
        "event_id": event_id,
        "attendee_id": attendee_id,
        "user_id": staff.id,
        "device": device,
        "result": result.result,
        "scanned_at": when,
        "created_at": now,
    }
    if fast_checkin.log(log) is None:
        # This scan reached us before (a retry, an offline queue, or a copy sent at the
        # same instant, which PostgreSQL's unique nonce waited for): the first copy made
        # the check-in, so this one found the ticket taken. Answer as the first did.
        if result.result == OK:  # it claimed a ticket after all: a nonce reused for
            # another ticket by a broken client; the route does not commit the claim
            raise CheckInInputError("this nonce was already used for another scan")
        return replayed(nonce)
    if result.result == OK:
        signals.after_commit(signals.checkin_created, attendee_id=attendee_id)
    return result


class _Staff(NamedTuple):
    id: int
    display: str | None


class _Scope(NamedTuple):
    id: int
    slug: str
    timezone: str


def event_scope(slug: str) -> "_Scope | None":
    """The event a scanner scans for, by slug (id, slug, time zone), or None."""
    row = db.session.execute(
        select(Event.id, Event.slug, Event.timezone).where(Event.slug == slug)
    ).first()
    return _Scope(*row) if row is not None else None


def _scan(digest: str | None, staff: _Staff, when: datetime, event: _Scope | None):
    """(result, attendee id, event id to log under) for one scan.

    The scan first tries to claim the ticket (fast_checkin.claim: the database settles
    a race). Only when nothing was claimed do we look at why."""
    if digest is None:
        return _unknown(event), None, event.id if event else None
    claimed = fast_checkin.claim(digest, when, staff.id, event.id if event else None)
    if claimed is not None:
        result = ScanResult(
            OK,
            name=claimed.name,
            checked_in_at=when,
            checked_in_by=staff.display,
            timezone=claimed.timezone,
            event=claimed.slug,
            **_party_of(claimed),
        )
        return result, claimed.id, claimed.event_id
    row = fast_checkin.ticket(digest)
    if row is None:
        return _unknown(event), None, event.id if event else None
    log_event = event.id if event else row.event_id
    if row.revoked:
        return _unknown(event, "revoked"), row.id, log_event
    if event is not None and row.event_id != event.id:
        return _unknown(event, "other_event"), row.id, log_event
    result = ScanResult(
        ALREADY,
        name=row.name,
        checked_in_at=row.checked_in_at,
        checked_in_by=display_name(row.by_name, row.by_email),
        timezone=row.timezone,
        event=row.slug,
        **_party_of(row),
    )
    return result, row.id, row.event_id


def _party_of(row) -> dict:
    """ScanResult's needs and party fields from a claimed or looked-up ticket row."""
    return {
        "needs": row.needs,
        "interpretation_language": row.interpretation_language,
        "party_size": row.party_size,
    }


def mark_checked_in(
    attendee: Attendee, now: datetime, device: str = "poster", staff_id: int | None = None
) -> bool:
    """The poster sign-in's check-in (the attendee flushed, with their ticket's hash):
    the same claim as a scan, so the ticket is checked in at most once whichever comes
    first; logged as a CheckIn row with a server-made nonce. True when this call checked
    them in."""
    done = fast_checkin.claim(attendee.token_hash, now, staff_id=staff_id) is not None
    db.session.add(
        CheckIn(
            nonce="signin-" + new_token(),
            event_id=attendee.event_id,
            attendee_id=attendee.id,
            user_id=staff_id,
            device=device[:120],
            result=OK if done else ALREADY,
            scanned_at=now,
            created_at=now,
        )
    )
    db.session.refresh(attendee, ["checked_in_at", "checked_in_by_id"])
    if done:
        signals.after_commit(signals.checkin_created, attendee_id=attendee.id)
    return done


def _unknown(event: _Scope | None, reason: str = "") -> ScanResult:
    result = ScanResult(UNKNOWN, event=event.slug if event else None, reason=reason)
    if event is not None:
        result.timezone = event.timezone
    return result


def _checked_in(attendee_id: int) -> tuple[datetime | None, str | None]:
    got = db.session.execute(
        select(Attendee.checked_in_at, User.name, User.email)
        .outerjoin(User, User.id == Attendee.checked_in_by_id)
        .where(Attendee.id == attendee_id)
    ).first()
    if got is None:
        return None, None
    return got.checked_in_at, display_name(got.name, got.email)


def replayed(nonce: str) -> ScanResult | None:
    """The answer first given for this nonce, or None if it is new."""
    got = fast_checkin.first_answer(nonce)
    if got is None:
        return None
    out = ScanResult(got.result, event=got.slug, replayed=True)
    if got.timezone:
        out.timezone = got.timezone
    if got.result in (OK, ALREADY) and got.attendee_id is not None:
        row = db.session.execute(
            select(
                Attendee.name,
                Attendee.needs,
                Attendee.interpretation_language,
                Attendee.party_size,
            ).where(Attendee.id == got.attendee_id)
        ).first()
        if row is not None:
            out.name = row.name
            for key, value in _party_of(row).items():
                setattr(out, key, value)
        out.checked_in_at, out.checked_in_by = _checked_in(got.attendee_id)
    return out


def roster(event: Event, *where, limit: int | None = None) -> list[dict]:
    """What a scanner needs to work offline: token hashes, names, checked-in state. No emails,
    phones or waitlist numbers."""
    stmt = (
        select(Attendee.token_hash, Attendee.name, Attendee.checked_in_at, User.name, User.email)
        .outerjoin(User, User.id == Attendee.checked_in_by_id)
        .where(Attendee.event_id == event.id, Attendee.revoked.is_(False), *where)
        .order_by(Attendee.name, Attendee.id)
        .limit(limit)
    )
    return [
        {
            "h": h,
            "name": name,
            "checked_in_at": iso_utc(at),
            "checked_in_at_local": format_local(at, event.timezone) if at else None,
            "by": display_name(by_name, by_email) if at else None,
        }
        for h, name, at, by_name, by_email in db.session.execute(stmt)
    ]


def search(event: Event, query: str, limit: int = 20) -> list[dict]:
    """Roster entries whose name contains the query (case-insensitive)."""
    q = clean_line(query)[:100]
    if len(q) < 2:
        return []
    return roster(event, Attendee.name.icontains(q, autoescape=True), limit=limit)


def event_stats(event: Event) -> dict:
    total, checked = db.session.execute(
        select(func.count(Attendee.id), func.count(Attendee.checked_in_at)).where(
            Attendee.event_id == event.id, Attendee.revoked.is_(False)
        )
    ).one()
    return {"attendees": total, "checked_in": checked}
