"""The check-in claim and the scan log: the statements checkin.py runs for every scan.

This departs from plain ORM code (load the attendee, look at checked_in_at, set it,
flush) on purpose, because volunteers at a door scan in bursts and two of them may scan
the same ticket at the same instant:

- The claim is one conditional `UPDATE … WHERE checked_in_at IS NULL … RETURNING`: the
  database settles the race (PostgreSQL re-checks the WHERE after the row lock; SQLite
  has one writer at a time), and whoever's UPDATE still finds the ticket free wins. A
  load-then-set would let both volunteers read NULL and both answer "ok". The returned
  row carries what the answer needs (name, event slug and time zone), so a new scan
  reads nothing more. The scanner API and the poster sign-in claim with this one
  statement, so a ticket is checked in once whichever way comes first.
- The log is `INSERT … ON CONFLICT (nonce) DO NOTHING RETURNING id`: a retried or
  offline-queued scan is recognised by its nonce without an IntegrityError that would
  spoil the transaction; no id back means "seen before".
- The statements are built once and run on the session's connection, in the caller's
  transaction, binding only their values. Nothing here commits.

What a result means (ok, already, unknown) and what the volunteer is told stay in
checkin.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from petitions.core.extensions import db
from petitions.models import Attendee, CheckIn, Event, User

# The statements of a scan, built once: a scan only binds its values.
_attendees = Attendee.__table__
_LOG = {
    name: dialect.insert(CheckIn.__table__)
    .on_conflict_do_nothing(index_elements=["nonce"])
    .returning(CheckIn.__table__.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def _of_the_event(column):
    return select(column).where(Event.id == _attendees.c.event_id).scalar_subquery()


# Whoever's UPDATE still finds checked_in_at NULL wins the ticket.
_CLAIM = (
    update(_attendees)
    .where(
        _attendees.c.token_hash == bindparam("digest"),
        _attendees.c.checked_in_at.is_(None),
        _attendees.c.revoked.is_(False),
    )
    .values(checked_in_at=bindparam("when"), checked_in_by_id=bindparam("staff_id"))
    .returning(
        _attendees.c.id,
        _attendees.c.event_id,
        _attendees.c.name,
        _attendees.c.needs,
        _attendees.c.interpretation_language,
        _attendees.c.party_size,
        _of_the_event(Event.slug).label("slug"),
        _of_the_event(Event.timezone).label("timezone"),
    )
)
_CLAIM_IN_EVENT = _CLAIM.where(_attendees.c.event_id == bindparam("in_event"))
_TICKET = (
    select(
        Attendee.id,
        Attendee.event_id,
        Attendee.name,
        Attendee.needs,
        Attendee.interpretation_language,
        Attendee.party_size,
        Attendee.revoked,
        Attendee.checked_in_at,
        User.name.label("by_name"),
        User.email.label("by_email"),
        Event.slug,
        Event.timezone,
    )
    .join(Event, Event.id == Attendee.event_id)
    .outerjoin(User, User.id == Attendee.checked_in_by_id)
    .where(Attendee.token_hash == bindparam("digest"))
)
_REPLAY = (
    select(CheckIn.result, CheckIn.attendee_id, Event.slug, Event.timezone)
    .outerjoin(Event, Event.id == CheckIn.event_id)
    .where(CheckIn.nonce == bindparam("nonce"))
)


def claim(
    digest: str, when: datetime, staff_id: int | None, in_event: int | None = None
) -> Row | None:
    """Check in the valid ticket with this token hash if nobody has (limited to the
    event `in_event` when given). The claimed row (id, event_id, name, needs,
    interpretation_language, party_size, slug, timezone),
    or None when the ticket is unknown, revoked, of another event, or taken already."""
    values = {"digest": digest, "when": when, "staff_id": staff_id}
    if in_event is not None:
        return (
            db.session.connection()
            .execute(_CLAIM_IN_EVENT, dict(values, in_event=in_event))
            .first()
        )
    return db.session.connection().execute(_CLAIM, values).first()


def ticket(digest: str) -> Row | None:
    """Why a claim found nothing: the ticket's row (revoked, event, checked in when and
    by whom, needs and party as the claim returns them), or None for an unknown token."""
    return db.session.connection().execute(_TICKET, {"digest": digest}).first()


def log(values: dict) -> int | None:
    """Log a scan (CheckIn's columns); its id, or None when this nonce was logged before."""
    return db.session.connection().scalar(_LOG[db.session.get_bind().dialect.name], values)


def first_answer(nonce: str) -> Row | None:
    """The logged scan with this nonce (result, attendee_id, slug, timezone), or None."""
    return db.session.connection().execute(_REPLAY, {"nonce": nonce}).first()
