"""Rallies: events, RSVPs, personal tickets, poster sign-in, dashboard numbers.

No request objects in here: views pass plain values, and the caller commits once.
Tickets are random tokens (services.tokens); only their SHA-256 is stored, so a
lost ticket is never shown again but replaced by a fresh one (the old link then
reads "unknown ticket").
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Required, TypedDict, Unpack
from urllib.parse import quote_plus

from sqlalchemy import func, select, update

from petitions.core import places, waitlist
from petitions.core.extensions import db
from petitions.core.limits import too_long
from petitions.core.text import clean_line, full_name, name_key, normalize_email
from petitions.core.timezones import utc_to_local, zone
from petitions.core.tokens import is_well_formed, new_token, normalize_token, token_hash
from petitions.models import (
    Attendee,
    CheckIn,
    Event,
    EventState,
    EventStatus,
    Petition,
    Signature,
)
from petitions.models.base import utcnow
from petitions.petition.signing import SignStatus, sign_petition
from petitions.rallies import tickets

SIGNIN_KEY_LENGTH = 8  # 40 bits: printed on posters, only retires old ones
RESERVED_SLUGS = frozenset({"new"})
BUCKET = timedelta(minutes=5)
MAX_BUCKETS = 96  # 8 hours of 5-minute bars


# --- events ---------------------------------------------------------------------------


def new_signin_key() -> str:
    return new_token(SIGNIN_KEY_LENGTH)


def slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    q = select(Event.id).where(Event.slug == slug)
    if exclude_id is not None:
        q = q.where(Event.id != exclude_id)
    return db.session.scalar(q) is not None


def create_event(**fields) -> Event:
    event = Event(signin_key=new_signin_key(), status=EventStatus.DRAFT, **fields)
    db.session.add(event)
    return event


def rotate_signin_key(event: Event) -> str:
    event.signin_key = new_signin_key()
    return event.signin_key


def signin_key_matches(event: Event, key: str) -> bool:
    key = normalize_token(key)
    return is_well_formed(key, SIGNIN_KEY_LENGTH) and secrets.compare_digest(key, event.signin_key)


def map_url(event: Event) -> str | None:
    where = ", ".join(p for p in (event.place, event.address) if p)
    if not event.address:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote_plus(where)


# --- RSVP, sign-in, tickets ---------------------------------------------------------


class RsvpStatus(StrEnum):
    CREATED = "created"  # a new RSVP
    DUPLICATE = "duplicate"  # RSVPed before under this email: a fresh ticket
    FULL = "full"
    CLOSED = "closed"  # RSVP or sign-in not open (draft, cancelled, over, too early)
    REVOKED = "revoked"  # the organizers cancelled this person's ticket
    CHECKED_IN = "checked_in"  # the poster sign-in checked them in
    ALREADY = "already"  # the poster sign-in: checked in before


@dataclass
class RsvpResult:
    status: RsvpStatus
    attendee: Attendee | None = None
    token: str | None = None  # the fresh ticket token, when one was issued
    sign_status: SignStatus | None = None  # result of signing the linked petition, if asked
    signature: Signature | None = None  # the Signature, when signing stored or found one

    @property
    def signed_petition(self) -> bool:
        """The linked petition holds the person's signature: new, waiting for its
        confirmation, or from before."""
        return self.sign_status in (SignStatus.SIGNED, SignStatus.PENDING, SignStatus.DUPLICATE)


class Person(TypedDict, total=False):
    """What rsvp and sign_in take about the person (events.forms.AttendForm.attendee)."""

    given_name: Required[str]
    family_name: Required[str]
    email: Required[str]
    postal_code: Required[str]
    phone: str
    waitlist_number: int | None
    language: str  # of the page they used ("en" when not given)


def find_attendee(event: Event, email: str) -> Attendee | None:
    return db.session.scalar(
        select(Attendee).where(
            Attendee.event_id == event.id, Attendee.email_key == normalize_email(email)
        )
    )


def find_by_token(token: str) -> Attendee | None:
    """The attendee holding this ticket, or None for unknown, malformed and revoked tokens."""
    token = normalize_token(token)
    if not is_well_formed(token):
        return None
    attendee = db.session.scalar(select(Attendee).where(Attendee.token_hash == token_hash(token)))
    if attendee is None or attendee.revoked:
        return None
    return attendee


def reissue_ticket(attendee: Attendee) -> str:
    """A fresh ticket token (the previous link stops working)."""
    token = new_token()
    attendee.token_hash = token_hash(token)
    attendee.ticket_sealed = tickets.seal(token)
    return token


def same_person(attendee: Attendee, given_name: str, family_name: str) -> bool:
    return name_key(attendee.name, "").strip() == name_key(given_name, family_name).strip()


def _lock_event(event: Event) -> None:
    """Serialize RSVPs per event (PostgreSQL row lock; SQLite already holds its write lock)."""
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def rsvp(
    event: Event, *, sign: bool = False, now: datetime | None = None, **person: Unpack[Person]
) -> RsvpResult:
    now = now or utcnow()
    values = attendee_values(person)
    if event.rsvp_state(now) not in (EventState.OPEN, EventState.FULL):
        return RsvpResult(RsvpStatus.CLOSED)
    _lock_event(event)
    existing = find_attendee(event, person["email"])
    if existing is not None:
        if existing.revoked:
            return RsvpResult(RsvpStatus.REVOKED, existing)
        # Never show someone else's ticket: the fresh link goes to the address on the RSVP.
        return RsvpResult(RsvpStatus.DUPLICATE, existing, reissue_ticket(existing))
    if event.capacity is not None and event.rsvp_count >= event.capacity:
        return RsvpResult(RsvpStatus.FULL)
    attendee, token = _new_attendee(event, values, now)
    db.session.flush()
    result = RsvpResult(RsvpStatus.CREATED, attendee, token)
    if sign:
        _sign(result, event, person, source="online")
    return result


def sign_in(
    event: Event, *, sign: bool = False, now: datetime | None = None, **person: Unpack[Person]
) -> RsvpResult:
    """The poster's "I'm here": check in an RSVP matched by email, or record a walk-up.

    status: checked_in (new check-in), already (was checked in before), revoked, closed.
    A fresh ticket token is issued either way (only hashes are stored)."""
    now = now or utcnow()
    values = attendee_values(person)
    if event.signin_state(now) != EventState.OPEN:
        return RsvpResult(RsvpStatus.CLOSED)
    _lock_event(event)
    attendee = find_attendee(event, person["email"])
    if attendee is not None and attendee.revoked:
        return RsvpResult(RsvpStatus.REVOKED, attendee)
    if attendee is None:
        attendee, token = _new_attendee(event, values, now)
        attendee.walk_up = True
    else:
        token = reissue_ticket(attendee)
        if values["phone"] and not attendee.phone:
            attendee.phone = values["phone"]
        if values["waitlist_number"] is not None and attendee.waitlist_number is None:
            attendee.waitlist_number = values["waitlist_number"]
    db.session.flush()
    status = RsvpStatus.CHECKED_IN if mark_checked_in(attendee, now) else RsvpStatus.ALREADY
    result = RsvpResult(status, attendee, token)
    if sign:
        _sign(result, event, person, source="rally")
    return result


class AttendeeError(ValueError):
    """Details the service cannot store (the form should have caught them)."""


def attendee_values(person: Person) -> dict:
    """The attendee's columns from `person`, cleaned and checked against the field limits
    (core.limits), as signing checks a signature's: raises AttendeeError, never cuts."""
    values = {
        "name": full_name(person["given_name"], person["family_name"]),
        "email": person["email"].strip(),
        "phone": clean_line(person.get("phone", "")),
        "postal_code": places.zip5(person["postal_code"]),
        "waitlist_number": person.get("waitlist_number"),
        "language": person.get("language") or "en",
    }
    if values["postal_code"] is None:
        raise AttendeeError("postal_code is not a ZIP code")
    checked = {"full_name": values["name"], "email": values["email"], "phone": values["phone"]}
    for field, limit in too_long(checked).items():
        raise AttendeeError(f"{field} is longer than {limit} characters")
    return values


def _new_attendee(event: Event, values: dict, now: datetime) -> tuple[Attendee, str]:
    """A new attendee in the session (from attendee_values), with the clear token of
    their ticket (only its hash is stored)."""
    token = new_token()
    attendee = Attendee(
        event_id=event.id,
        token_hash=token_hash(token),
        ticket_sealed=tickets.seal(token),
        email_key=normalize_email(values["email"]),
        created_at=now,
        **values,
    )
    db.session.add(attendee)
    return attendee, token


def mark_checked_in(attendee: Attendee, now: datetime, device: str = "poster") -> bool:
    """Check in at most once (a conditional UPDATE, safe under concurrency); log a CheckIn row
    with a server-made nonce. True when this call checked them in."""
    done = db.session.execute(
        update(Attendee)
        .where(Attendee.id == attendee.id, Attendee.checked_in_at.is_(None))
        .values(checked_in_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.add(
        CheckIn(
            nonce="signin-" + new_token(),
            event_id=attendee.event_id,
            attendee_id=attendee.id,
            device=device,
            result="ok" if done else "already",
            scanned_at=now,
            created_at=now,
        )
    )
    db.session.refresh(attendee, ["checked_in_at"])
    return bool(done)


def _sign(result: RsvpResult, event: Event, person: Person, source: str) -> None:
    """Sign the linked petition (services.signing) and note it on the result; marks the
    attendee when the petition holds their signature. A waitlist number the petition does
    not ask for, or outside its range, is left out of the signature."""
    petition: Petition | None = event.petition
    if petition is None:
        return
    number = person.get("waitlist_number")
    lo, hi = petition.waitlist_min, petition.waitlist_max
    if number is not None and not (petition.ask_waitlist and waitlist.in_range(number, lo, hi)):
        number = None
    signed = sign_petition(
        petition,
        given_name=person["given_name"],
        family_name=person["family_name"],
        email=person["email"],
        postal_code=person["postal_code"],
        waitlist_number=number,
        language=person.get("language") or "en",
        source=source,
    )
    result.sign_status, result.signature = signed.status, signed.signature
    if result.signed_petition:
        result.attendee.signed_petition = True
        db.session.flush()


def revoke(attendee: Attendee) -> None:
    attendee.revoked = True


# --- dashboard ------------------------------------------------------------------------


@dataclass
class Stats:
    rsvps: int
    checked_in: int
    walk_ups: int
    signed_at_signin: int
    signed_petition: int
    capacity: int | None
    series: list[tuple[str, int]]

    def as_dict(self) -> dict:
        return {
            "rsvps": self.rsvps,
            "checked_in": self.checked_in,
            "walk_ups": self.walk_ups,
            "signed_at_signin": self.signed_at_signin,
            "signed_petition": self.signed_petition,
            "capacity": self.capacity,
        }


def stats(event: Event) -> Stats:
    live = (Attendee.event_id == event.id, Attendee.revoked.is_(False))
    row = db.session.execute(
        select(
            func.count(Attendee.id).filter(Attendee.walk_up.is_(False)),
            func.count(Attendee.checked_in_at),
            func.count(Attendee.id).filter(Attendee.walk_up.is_(True)),
            func.count(Attendee.id).filter(
                Attendee.checked_in_at.is_not(None), Attendee.signed_petition.is_(True)
            ),
            func.count(Attendee.id).filter(Attendee.signed_petition.is_(True)),
        ).where(*live)
    ).one()
    times = db.session.scalars(
        select(Attendee.checked_in_at)
        .where(*live, Attendee.checked_in_at.is_not(None))
        .order_by(Attendee.checked_in_at)
    ).all()
    return Stats(*row, capacity=event.capacity, series=checkin_series(event, times))


def _floor(t: datetime) -> datetime:
    return t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0)


def checkin_series(event: Event, times: list[datetime]) -> list[tuple[str, int]]:
    """Check-ins per 5 minutes, labelled in the event's local time."""
    if times:
        first, last = _floor(times[0]), _floor(times[-1])
    else:
        first = _floor(event.starts_at - timedelta(minutes=30))
        last = first + timedelta(hours=2)
    n = int((last - first) / BUCKET) + 1
    if n > MAX_BUCKETS:
        first = last - BUCKET * (MAX_BUCKETS - 1)
        n = MAX_BUCKETS
    counts = [0] * n
    for t in times:
        i = int((t - first) / BUCKET)
        if 0 <= i < n:
            counts[i] += 1
    tz = zone(event.timezone)
    return [
        (utc_to_local(first + BUCKET * i, tz).strftime("%H:%M"), c) for i, c in enumerate(counts)
    ]


def attendees(event: Event, query: str = "", limit: int | None = None, by_email: bool = True):
    """Attendees by name; search by name (and email, for those allowed to see emails)."""
    q = select(Attendee).where(Attendee.event_id == event.id)
    query = clean_line(query)
    if query:
        match = Attendee.name.icontains(query, autoescape=True)
        if by_email:
            match = match | Attendee.email_key.icontains(query, autoescape=True)
        q = q.where(match)
    q = q.order_by(Attendee.name, Attendee.id)
    if limit:
        q = q.limit(limit)
    return db.session.scalars(q).all()


EXPORT_HEADER = [
    "name",
    "email",
    "phone",
    "postal_code",
    "waitlist_number",
    "kind",
    "signed_petition",
    "rsvp_at",
    "checked_in_at",
    "ticket",
]


def export_rows(event: Event) -> Iterator[list]:
    tz = event.timezone

    def local(t):
        return utc_to_local(t, tz).strftime("%Y-%m-%d %H:%M") if t else ""

    rows = db.session.execute(
        select(
            Attendee.name,
            Attendee.email,
            Attendee.phone,
            Attendee.postal_code,
            Attendee.waitlist_number,
            Attendee.walk_up,
            Attendee.signed_petition,
            Attendee.created_at,
            Attendee.checked_in_at,
            Attendee.revoked,
        )
        .where(Attendee.event_id == event.id)
        .order_by(Attendee.id)
        .execution_options(yield_per=1000)
    )
    for r in rows:
        yield [
            r.name,
            r.email,
            r.phone,
            r.postal_code,
            r.waitlist_number,
            "walk-up" if r.walk_up else "rsvp",
            "yes" if r.signed_petition else "no",
            local(r.created_at),
            local(r.checked_in_at),
            "revoked" if r.revoked else "valid",
        ]


def attendee_count(event: Event) -> int:
    return (
        db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id)) or 0
    )


# --- calendar file --------------------------------------------------------------------


def _ics_escape(text: str) -> str:
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def _ics_fold(line: str) -> str:
    """Lines of at most 75 octets, continuation lines starting with a space (RFC 5545 3.1)."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode())
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _ics_time(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%SZ")


def ics(
    event: Event,
    url: str,
    description: str,
    host: str,
    now: datetime | None = None,
    name: str | None = None,
) -> str:
    """An iCalendar (RFC 5545) file with one VEVENT in UTC times; `name`: the event's name
    in the reader's language (default: the English one)."""
    now = now or utcnow()
    location = ", ".join(p for p in (event.place, event.address) if p)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Petitions//Rallies//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{host}",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(event.starts_at)}",
        f"DTEND:{_ics_time(event.end)}",
        f"SUMMARY:{_ics_escape(name or event.name)}",
        f"LOCATION:{_ics_escape(location)}" if location else None,
        f"DESCRIPTION:{_ics_escape(description)}" if description else None,
        f"URL:{url}",
        "STATUS:CANCELLED" if event.status == EventStatus.CANCELLED else "STATUS:CONFIRMED",
        f"LAST-MODIFIED:{_ics_time(event.updated_at or now)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_ics_fold(line) + "\r\n" for line in lines if line is not None)
