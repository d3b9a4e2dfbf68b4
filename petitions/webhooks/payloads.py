"""The body of each webhook message: the OSDI resource the event is about, exactly as the
API gives it (petitions.api.resources), with the person inside it as Action Network's
webhooks carry them, in the Standard Webhooks envelope

    {"type": "signature.created", "timestamp": "2026-12-07T23:00:00Z", "data": {...}}

A webhook goes to the coalition's own system, set up by an admin, so the person comes with
their name, address and subscription status. Links point into the OSDI API by id.

Built once, when the event is recorded: a retry sends the very same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from petitions.api import resources
from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.core.timezones import iso_utc
from petitions.mail.suppressions import suppressed_among
from petitions.models import Attendee, Person, Signature
from petitions.models.base import utcnow


def _with_people(pairs, custom) -> dict[int, dict]:
    """{row id: the row's resource with its person inside} for (resource row, person)
    pairs; `custom(row)` gives the person's custom fields seen on that row."""
    base = resources.api_root()
    suppressed = suppressed_among(p.email_key for _, p in pairs if p is not None)
    out = {}
    for row, person in pairs:
        resource = (
            resources.signature(row, base)
            if isinstance(row, Signature)
            else resources.attendance(row, base)
        )
        if person is not None:
            resource["person"] = resources.person(
                person,
                base,
                unsubscribed=person.email_key in suppressed,
                custom_fields=custom(row),
            )
        elif isinstance(row, Signature):
            resource["person"] = resources.signer(row)
        out[row.id] = resource
    return out


def signatures(ids: list[int]) -> dict[int, dict]:
    """The signatures' resources by id (one query for all; gone ones left out)."""
    rows = db.session.execute(
        select(Signature, Person)
        .outerjoin(Person, Person.id == Signature.person_id)
        .where(Signature.id.in_(ids))
    ).all()

    def custom(s: Signature) -> dict:
        return {k: v for k, v in (("role", s.role), ("waitlist_number", s.waitlist_number)) if v}

    return _with_people(rows, custom)


def attendances(ids: list[int]) -> dict[int, dict]:
    """The attendances' resources by id (one query for all; gone ones left out)."""
    rows = db.session.execute(
        select(Attendee, Person)
        .outerjoin(Person, Person.id == Attendee.person_id)
        .where(Attendee.id.in_(ids))
    ).all()

    def custom(a: Attendee) -> dict:
        return {"waitlist_number": a.waitlist_number} if a.waitlist_number else {}

    return _with_people(rows, custom)


def unsubscribed(email: str, reason: str) -> dict:
    """The person as far as the suppression list knows them: an address (and their API
    record, when the address has one)."""
    person = db.session.scalar(select(Person).where(Person.email_key == normalize_email(email)))
    if person is not None:
        out = resources.person(person, resources.api_root(), unsubscribed=True)
    else:
        out = {
            "email_addresses": [{"address": email, "primary": True, "status": "unsubscribed"}],
            "modified_date": iso_utc(utcnow()),
        }
    out["reason"] = reason
    return out


def build_many(events: list[tuple[str, dict]]) -> list[dict | None]:
    """The OSDI resource of each event, in order (None: what it was about is gone)."""
    sig_ids = [d["signature_id"] for t, d in events if t == "signature.created"]
    att_ids = [
        d["attendee_id"] for t, d in events if t in ("attendance.created", "checkin.created")
    ]
    sigs = signatures(sig_ids) if sig_ids else {}
    atts = attendances(att_ids) if att_ids else {}
    out = []
    for event_type, data in events:
        if event_type == "signature.created":
            out.append(sigs.get(data["signature_id"]))
        elif event_type in ("attendance.created", "checkin.created"):
            out.append(atts.get(data["attendee_id"]))
        elif event_type == "person.unsubscribed":
            out.append(unsubscribed(data["email"], data.get("reason", "unsubscribed")))
        else:
            raise LookupError(f"unknown webhook event {event_type!r}")
    return out


def envelope(event_type: str, resource: dict, now: datetime | None = None) -> str:
    """The JSON text of the message, as signed and sent."""
    body = {"type": event_type, "timestamp": iso_utc(now or utcnow()), "data": resource}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
