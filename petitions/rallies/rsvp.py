"""Rallies: RSVPs, the poster sign-in, personal tickets.

No request objects in here: views pass plain values, and the caller commits once.
Tickets are random tokens (core.tokens); only their SHA-256 is stored, so a
lost ticket is never shown again but replaced by a fresh one (the old link then
reads "unknown ticket").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Required, TypedDict, Unpack

from sqlalchemy import select

from petitions.core import people, places, signals, waitlist
from petitions.core.extensions import db
from petitions.core.limits import too_long
from petitions.core.text import clean_line, full_name, name_key, normalize_email
from petitions.core.tokens import is_well_formed, new_token, normalize_token, token_hash
from petitions.models import Attendee, Event, EventState, Petition, Signature
from petitions.models.base import utcnow
from petitions.petition.signing import SignStatus, sign_petition
from petitions.rallies import tickets
from petitions.rallies.checkin import mark_checked_in
from petitions.rallies.needs import NO_NEEDS, NeedsChoice


class RsvpStatus(StrEnum):
    CREATED = "created"  # a new RSVP
    DUPLICATE = "duplicate"  # RSVPed before under this email: a fresh ticket
    FULL = "full"
    NO_ROOM = "no_room"  # places are left, fewer than the party needs (RsvpResult.places_left)
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
    places_left: int | None = None  # with NO_ROOM: how many places are still free

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
    needs: NeedsChoice  # from rallies.needs.parse_needs (none when not given)


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
    if (left := event.places_left()) is not None and values["party_size"] > left:
        if left == 0:
            return RsvpResult(RsvpStatus.FULL)
        return RsvpResult(RsvpStatus.NO_ROOM, places_left=left)
    attendee, token = _new_attendee(event, values, now, person)
    db.session.flush()
    signals.after_commit(signals.attendance_created, attendee_id=attendee.id)
    result = RsvpResult(RsvpStatus.CREATED, attendee, token)
    if sign:
        _sign(result, event, person, source="online")
    return result


def sign_in(
    event: Event,
    *,
    sign: bool = False,
    now: datetime | None = None,
    source: str = "rally",
    staff_id: int | None = None,
    device: str = "poster",
    signer: dict | None = None,
    **person: Unpack[Person],
) -> RsvpResult:
    """The poster's "I'm here" (and the welcome table's kiosk): check in an RSVP matched
    by email, or record a walk-up.

    status: checked_in (new check-in), already (was checked in before), revoked, closed.
    A fresh ticket token is issued either way (only hashes are stored). `source` is the
    signature's when signing; `signer` more of the signature's fields (town, role, consent
    boxes); `staff_id` and `device` who checked them in, and where."""
    now = now or utcnow()
    values = attendee_values(person)
    if event.signin_state(now) != EventState.OPEN:
        return RsvpResult(RsvpStatus.CLOSED)
    _lock_event(event)
    attendee = find_attendee(event, person["email"])
    if attendee is not None and attendee.revoked:
        return RsvpResult(RsvpStatus.REVOKED, attendee)
    walk_up = attendee is None
    if walk_up:
        attendee, token = _new_attendee(event, values, now, person)
        attendee.walk_up = True
    else:
        token = reissue_ticket(attendee)
        if values["phone"] and not attendee.phone:
            attendee.phone = values["phone"]
        if values["waitlist_number"] is not None and attendee.waitlist_number is None:
            attendee.waitlist_number = values["waitlist_number"]
        # Needs told at the door are kept when the RSVP told none; the party stays as RSVPed.
        if values["needs"] and not attendee.needs:
            attendee.needs = values["needs"]
            attendee.interpretation_language = values["interpretation_language"]
        if values["needs_note"] and not attendee.needs_note:
            attendee.needs_note = values["needs_note"]
    db.session.flush()
    if walk_up:
        signals.after_commit(signals.attendance_created, attendee_id=attendee.id)
    done = mark_checked_in(attendee, now, device=device, staff_id=staff_id)
    result = RsvpResult(RsvpStatus.CHECKED_IN if done else RsvpStatus.ALREADY, attendee, token)
    if sign:
        _sign(result, event, person, source=source, signer=signer)
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
        **(person.get("needs") or NO_NEEDS).columns(),
    }
    if values["postal_code"] is None:
        raise AttendeeError("postal_code is not a ZIP code")
    checked = {"full_name": values["name"], "email": values["email"], "phone": values["phone"]}
    for field, limit in too_long(checked).items():
        raise AttendeeError(f"{field} is longer than {limit} characters")
    return values


def _new_attendee(
    event: Event, values: dict, now: datetime, person: Person
) -> tuple[Attendee, str]:
    """A new attendee in the session (from attendee_values), with the clear token of
    their ticket (only its hash is stored), linked to the holder of their email."""
    token = new_token()
    attendee = Attendee(
        event_id=event.id,
        person_id=people.link(
            email=values["email"],
            given_name=clean_line(person["given_name"]),
            family_name=clean_line(person["family_name"]),
            postal_code=values["postal_code"],
            language=values["language"],
            now=now,
        ),
        token_hash=token_hash(token),
        ticket_sealed=tickets.seal(token),
        email_key=normalize_email(values["email"]),
        created_at=now,
        **values,
    )
    db.session.add(attendee)
    return attendee, token


def _sign(
    result: RsvpResult, event: Event, person: Person, source: str, signer: dict | None = None
) -> None:
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
        **(signer or {}),
    )
    result.sign_status, result.signature = signed.status, signed.signature
    if result.signed_petition:
        result.attendee.signed_petition = True
        db.session.flush()


def revoke(attendee: Attendee) -> None:
    attendee.revoked = True
