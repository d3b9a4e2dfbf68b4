"""A kiosk's sync: the entries a device queued, each stored once, by the web forms' rules.

- Every entry carries a client-made id. KioskEntry.client_id is unique: an entry seen
  before (a retried sync, a replayed batch, two copies racing each other) answers
  "replayed" and stores nothing (claim() takes the id before the entry's work is done).
  The same person from two devices at once is one person: the sign-in service locks the
  event, and signatures are deduplicated by their unique index, as for the web forms.
- A rally entry goes through the poster sign-in's service (rallies.rsvp.sign_in): an RSVP
  matched by email is checked in, anyone else is a walk-up; "also sign" signs the linked
  petition there. A petition entry goes through signing.sign_petition. Both with source
  "kiosk", which waits for email confirmation when the petition asks for it.
- Entries the form would refuse are refused here with the form's own messages, in the
  entry's language; they store nothing.

Nothing here commits: the route commits once, with the sync's audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import select, update

from petitions.core.content import LANGUAGES
from petitions.core.database import dialect_insert
from petitions.core.extensions import db
from petitions.core.text import clean_line
from petitions.kiosk.forms import FIELDS, FLAGS, Setup, check
from petitions.models import Event, KioskEntry, Signature
from petitions.models.base import utcnow
from petitions.petition.signing import SignStatus, sign_petition
from petitions.rallies import rsvp as rsvps
from petitions.rallies.checkin import CheckInInputError, parse_scanned_at

MAX_ENTRIES = 500
ID_RE = re.compile(r"^[A-Za-z0-9-]{8,64}$")
KNOWN = frozenset(FIELDS + FLAGS + ("id", "created", "language", "waitlist_number", "needs"))

STORED, REPLAYED, REFUSED = "stored", "replayed", "refused"


class BatchError(ValueError):
    """The batch as a whole cannot be read: nothing is stored, the device keeps its queue."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Outcome:
    id: str
    status: str  # stored, replayed, refused
    result: str = ""  # walk_up, checked_in, already, signed, pending, duplicate, ...
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    signature: Signature | None = None  # a signature that waits for its confirmation mail
    language: str = "en"

    def to_json(self) -> dict:
        out = {"id": self.id, "status": self.status, "result": self.result}
        if self.message:
            out["message"] = self.message
        if self.errors:
            out["errors"] = self.errors
        return out


def parse_batch(data) -> tuple[str, list[dict]]:
    """(device, entries) from the posted JSON, or BatchError."""
    if not isinstance(data, dict):
        raise BatchError('Send a JSON object: {"device": "...", "entries": [...]}.')
    device = data.get("device", "")
    if not isinstance(device, str):
        raise BatchError("device must be a string")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BatchError("entries must be a list")
    if len(entries) > MAX_ENTRIES:
        raise BatchError(f"Send at most {MAX_ENTRIES} entries at a time.", 413)
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise BatchError(f"entries[{i}] must be an object")
        if not isinstance(entry.get("id"), str) or not ID_RE.match(entry["id"]):
            raise BatchError(f"entries[{i}].id must be 8 to 64 letters, digits or '-'")
    return clean_line(device)[:120], entries


def _type_error(entry: dict) -> str:
    """What is wrong with the types of an entry's values ("" when nothing)."""
    for name, value in entry.items():
        if name not in KNOWN:
            continue
        if name in FLAGS:
            if not isinstance(value, bool | None):
                return f"{name} must be true or false"
        elif name == "needs":
            if not isinstance(value, list | None) or not all(
                isinstance(v, str) for v in value or ()
            ):
                return "needs must be a list of text"
        elif name == "waitlist_number":
            if not isinstance(value, str | int | None) or isinstance(value, bool):
                return "waitlist_number must be a number or text"
        elif not isinstance(value, str | None):
            return f"{name} must be text"
    return ""


def sync(setup: Setup, entries: list[dict], user, device: str) -> list[Outcome]:
    seen = _already_stored([e["id"] for e in entries])
    if setup.event is not None and entries:
        # The sign-in service locks the event row for each entry (rallies.rsvp); take that
        # lock before the first claim, so that two syncs wait in one order. (A claim's
        # foreign key share-locks the same row: claiming first, then locking, lets two
        # copies of one batch wait for each other, which PostgreSQL calls a deadlock.)
        db.session.execute(select(Event.id).where(Event.id == setup.event.id).with_for_update())
    outcomes, records = [], []
    for entry in entries:
        if entry["id"] in seen:
            outcomes.append(Outcome(entry["id"], REPLAYED, seen[entry["id"]]))
            continue
        outcome, record = _one(setup, entry, user, device)
        if outcome.status == STORED:
            seen[entry["id"]] = outcome.result
        outcomes.append(outcome)
        if record is not None:
            records.append(record)
    if records:  # what each claimed entry came to, in one executemany
        db.session.execute(update(KioskEntry), records)
    return outcomes


def _already_stored(ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(KioskEntry.client_id, KioskEntry.result).where(KioskEntry.client_id.in_(ids))
    )
    return dict(rows.all())


def _one(setup: Setup, entry: dict, user, device: str) -> tuple[Outcome, dict | None]:
    """The entry's outcome, and its claimed KioskEntry's columns still to write."""
    client_id = entry["id"]
    if problem := _type_error(entry):
        return Outcome(client_id, REFUSED, message=problem), None
    language = entry.get("language") or "en"
    if language not in LANGUAGES:
        return Outcome(client_id, REFUSED, message=f"unknown language {language!r}"), None
    now = utcnow()
    try:
        entered = parse_scanned_at(entry.get("created"), now) or now
    except CheckInInputError:
        return Outcome(client_id, REFUSED, message="created must be an ISO 8601 time"), None
    form, errors = check(setup, entry, language)
    if errors:
        return Outcome(client_id, REFUSED, errors=errors, language=language), None
    record_id = claim(
        {
            "client_id": client_id,
            "kind": setup.kind,
            "event_id": setup.event.id if setup.event is not None else None,
            "petition_id": setup.petition.id if setup.petition is not None else None,
            "user_id": user.id,
            "device": device,
            "result": "",
            "entered_at": entered,
            "created_at": now,
        }
    )
    if record_id is None:  # stored by another sync a moment ago (it has committed)
        got = _already_stored([client_id]).get(client_id, "")
        return Outcome(client_id, REPLAYED, got), None
    signer = _signer(form)
    if setup.event is not None:
        outcome, links = _rally(setup, form, signer, client_id, user, device, entered, language)
    else:
        outcome, links = _petition(setup, form, signer, client_id, entered, language)
    record = {"id": record_id, "result": outcome.result, "attendee_id": None, "signature_id": None}
    return outcome, record | links


@cache
def _claim_statement(dialect_name: str):
    table = KioskEntry.__table__
    return (
        dialect_insert(table, dialect_name)
        .on_conflict_do_nothing(index_elements=["client_id"])
        .returning(table.c.id)
    )


def claim(values: dict) -> int | None:
    """Take this client id for this sync: the new KioskEntry's id, or None when the id was
    stored before. INSERT ... ON CONFLICT DO NOTHING rather than a SAVEPOINT catching an
    IntegrityError: a copy racing this one waits on the unique index (PostgreSQL) or on
    the write lock (SQLite, whose writers take turns) and then finds the id taken, so an
    entry's work is only ever done by the sync that took it. On SQLite this first write
    also opens the write transaction (core.database): the rest of the entry runs alone."""
    statement = _claim_statement(db.session.get_bind().dialect.name)
    return db.session.connection().scalar(statement, values)


def _signer(form) -> dict:
    """The signature's fields beyond the person's (town, role, consent boxes)."""
    out = {}
    for name in ("town", "role", "show_name", "opt_in"):
        f = getattr(form, name, None)
        if f is not None:
            out[name] = f.data or ("" if name in ("town", "role") else False)
    return out


def _waitlist(form) -> int | None:
    f = getattr(form, "waitlist_number", None)
    return getattr(f, "number", None) if f is not None else None


def _rally(setup, form, signer, cid, user, device, entered, language) -> tuple[Outcome, dict]:
    event = setup.event
    sign_field = getattr(form, "sign", None)
    result = rsvps.sign_in(
        event,
        sign=bool(sign_field is not None and sign_field.data),
        now=entered,
        source="kiosk",
        staff_id=user.id,
        device=f"kiosk {device}".strip(),
        signer=signer,
        given_name=form.given_name.data,
        family_name=form.family_name.data,
        email=form.email.data,
        postal_code=form.postal_code.data,
        phone=form.phone.data or "",
        waitlist_number=_waitlist(form),
        language=language,
        needs=form.needs_choice,
    )
    if result.status == rsvps.RsvpStatus.CLOSED:
        message = _("Sign-in for this event is not open.")
        return Outcome(cid, REFUSED, "closed", message=message), {}
    links = {"attendee_id": result.attendee.id}
    if result.status == rsvps.RsvpStatus.REVOKED:
        return Outcome(cid, STORED, "revoked"), links
    if result.signature is not None and result.signed_petition:
        links["signature_id"] = result.signature.id
    if result.status != rsvps.RsvpStatus.CHECKED_IN:
        kind = "already"
    else:  # a walk-up is checked in as it is made: checked in now, it is new
        kind = "walk_up" if result.attendee.walk_up else "checked_in"
    pending = result.signature if result.sign_status == SignStatus.PENDING else None
    return Outcome(cid, STORED, kind, signature=pending, language=language), links


def _petition(setup, form, signer, cid, entered, language) -> tuple[Outcome, dict]:
    signed = sign_petition(
        setup.petition,
        source="kiosk",
        now=entered,
        given_name=form.given_name.data,
        family_name=form.family_name.data,
        email=form.email.data,
        postal_code=form.postal_code.data,
        waitlist_number=_waitlist(form),
        language=language,
        **signer,
    )
    if signed.status == SignStatus.CLOSED:
        message = _("The petition is not taking signatures right now.")
        return Outcome(cid, REFUSED, "closed", message=message), {}
    links = {}
    if signed.status != SignStatus.FULL_HOUSEHOLD:
        links["signature_id"] = signed.signature_id
    pending = signed.signature if signed.status == SignStatus.PENDING else None
    outcome = Outcome(cid, STORED, str(signed.status), signature=pending, language=language)
    return outcome, links


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {STORED: 0, REPLAYED: 0, REFUSED: 0}
    for o in outcomes:
        counts[o.status] += 1
    return counts
