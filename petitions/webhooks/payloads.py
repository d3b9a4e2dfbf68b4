"""The body of each webhook message: the OSDI resource the event is about, in the shape
Action Network's API gives it, inside the Standard Webhooks envelope

    {"type": "signature.created", "timestamp": "2026-12-07T23:00:00Z", "data": {...}}

The resources carry the person as OSDI does (names, email with its subscription status,
postal code and town, languages): a webhook goes to the coalition's own system, set up by
an admin. Links point into the OSDI API (/api/osdi/v1/...), by id.

Built once, when the event is recorded: a retry sends the very same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.core.urls import share_url
from petitions.models import Attendee, Event, Petition, Signature, Suppression
from petitions.models.base import utcnow

SYSTEM = "petitions"
API_PATH = "api/osdi/v1"


def _date(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


class _Batch:
    """What the messages of one batch share: the API's base URL, petitions' page URLs and
    which of the batch's addresses are on the suppression list (one query for all)."""

    def __init__(self, emails=()):
        self.base = share_url("public.index").rstrip("/")
        self.pages: dict[str, str] = {}
        keys = {normalize_email(e) for e in emails if e}
        self.suppressed = (
            set(
                db.session.scalars(
                    select(Suppression.email_key).where(Suppression.email_key.in_(keys))
                )
            )
            if keys
            else set()
        )

    def api(self, path: str) -> dict:
        return {"href": f"{self.base}/{API_PATH}/{path}"}

    def page(self, endpoint: str, slug: str) -> str:
        key = f"{endpoint}:{slug}"
        if key not in self.pages:
            self.pages[key] = share_url(endpoint, slug=slug)
        return self.pages[key]

    def status(self, email: str) -> str:
        return "unsubscribed" if normalize_email(email) in self.suppressed else "subscribed"


def _person(batch: _Batch, given: str, family: str, email: str, postal_code: str, town: str,
            language: str, custom: dict | None = None) -> dict:  # fmt: skip
    person = {
        "given_name": given,
        "family_name": family,
        "email_addresses": (
            [{"address": email, "primary": True, "status": batch.status(email)}] if email else []
        ),
        "postal_addresses": (
            [{"primary": True, "postal_code": postal_code, "locality": town, "country": "US"}]
            if postal_code or town
            else []
        ),
        "languages_spoken": [language] if language else [],
        "preferred_language": language or None,
    }
    if custom:
        person["custom_fields"] = custom
    return person


def signatures(ids: list[int]) -> dict[int, dict]:
    """The signatures' resources by id (one query for all; gone ones left out)."""
    rows = db.session.execute(
        select(Signature, Petition).join(Petition).where(Signature.id.in_(ids))
    ).all()
    batch = _Batch(s.email for s, _ in rows)
    return {s.id: _signature(batch, s, p) for s, p in rows}


def _signature(batch: _Batch, s: Signature, petition: Petition) -> dict:
    custom = {k: v for k, v in (("role", s.role), ("waitlist_number", s.waitlist_number)) if v}
    return {
        "identifiers": [f"{SYSTEM}:{s.id}"],
        "created_date": _date(s.created_at),
        "modified_date": _date(s.confirmed_at or s.created_at),
        "action_date": _date(s.confirmed_at or s.created_at),
        "comments": s.comment if s.show_name else "",
        "referrer_data": {"source": s.source},
        "petition": {
            "identifiers": [f"{SYSTEM}:{petition.id}"],
            "title": petition.title,
            "browser_url": batch.page("public.petition", petition.slug),
        },
        "person": _person(
            batch, s.given_name, s.family_name, s.email, s.postal_code, s.town, s.language, custom
        ),
        "_links": {
            "self": batch.api(f"petitions/{petition.id}/signatures/{s.id}"),
            "osdi:petition": batch.api(f"petitions/{petition.id}"),
            "osdi:person": batch.api(f"people/{s.id}"),
        },
    }


def attendances(ids: list[int]) -> dict[int, dict]:
    """The attendances' resources by id (one query for all; gone ones left out)."""
    rows = db.session.execute(select(Attendee, Event).join(Event).where(Attendee.id.in_(ids))).all()
    batch = _Batch(a.email for a, _ in rows)
    return {a.id: _attendance(batch, a, e) for a, e in rows}


def _attendance(batch: _Batch, a: Attendee, event: Event) -> dict:
    given, _, family = a.name.partition(" ")
    custom = {"waitlist_number": a.waitlist_number} if a.waitlist_number else None
    return {
        "identifiers": [f"{SYSTEM}:{a.id}"],
        "created_date": _date(a.created_at),
        "modified_date": _date(a.checked_in_at or a.created_at),
        "status": "cancelled" if a.revoked else "accepted",
        "attended": a.checked_in_at is not None,
        "checked_in_date": _date(a.checked_in_at),
        "walk_up": a.walk_up,
        "event": {
            "identifiers": [f"{SYSTEM}:{event.id}"],
            "title": event.name,
            "start_date": _date(event.starts_at),
            "browser_url": batch.page("events.event_page", event.slug),
        },
        "person": _person(batch, given, family, a.email, a.postal_code, "", a.language, custom),
        "_links": {
            "self": batch.api(f"events/{event.id}/attendances/{a.id}"),
            "osdi:event": batch.api(f"events/{event.id}"),
            "osdi:person": batch.api(f"people/{a.id}"),
        },
    }


def unsubscribed(email: str, reason: str) -> dict:
    """The person as far as the suppression list knows them: an address."""
    return {
        "email_addresses": [{"address": email, "primary": True, "status": "unsubscribed"}],
        "modified_date": _date(utcnow()),
        "reason": reason,
    }


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
    body = {"type": event_type, "timestamp": _date(now or utcnow()), "data": resource}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
