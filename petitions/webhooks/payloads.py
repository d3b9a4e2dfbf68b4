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


def _api(path: str) -> dict:
    base = share_url("public.index").rstrip("/")
    return {"href": f"{base}/{API_PATH}/{path}"}


def _email_status(email: str) -> str:
    key = normalize_email(email)
    suppressed = db.session.scalar(select(Suppression.id).where(Suppression.email_key == key))
    return "unsubscribed" if suppressed is not None else "subscribed"


def _person(given: str, family: str, email: str, postal_code: str, town: str, language: str,
            custom: dict | None = None) -> dict:  # fmt: skip
    person = {
        "given_name": given,
        "family_name": family,
        "email_addresses": (
            [{"address": email, "primary": True, "status": _email_status(email)}] if email else []
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


def signature(signature_id: int) -> dict | None:
    s = db.session.get(Signature, signature_id)
    if s is None:
        return None
    petition: Petition = s.petition
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
            "browser_url": share_url("public.petition", slug=petition.slug),
        },
        "person": _person(
            s.given_name, s.family_name, s.email, s.postal_code, s.town, s.language, custom
        ),  # fmt: skip
        "_links": {
            "self": _api(f"petitions/{petition.id}/signatures/{s.id}"),
            "osdi:petition": _api(f"petitions/{petition.id}"),
            "osdi:person": _api(f"people/{s.id}"),
        },
    }


def attendance(attendee_id: int) -> dict | None:
    a = db.session.get(Attendee, attendee_id)
    if a is None:
        return None
    event: Event = a.event
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
            "browser_url": share_url("events.event_page", slug=event.slug),
        },
        "person": _person(given, family, a.email, a.postal_code, "", a.language, custom),
        "_links": {
            "self": _api(f"events/{event.id}/attendances/{a.id}"),
            "osdi:event": _api(f"events/{event.id}"),
            "osdi:person": _api(f"people/{a.id}"),
        },
    }


def unsubscribed(email: str, reason: str) -> dict:
    """The person as far as the suppression list knows them: an address."""
    return {
        "email_addresses": [{"address": email, "primary": True, "status": "unsubscribed"}],
        "modified_date": _date(utcnow()),
        "reason": reason,
    }


def build(event_type: str, data: dict) -> dict | None:
    """The OSDI resource of one event (None: what it was about is gone already)."""
    if event_type == "signature.created":
        return signature(data["signature_id"])
    if event_type in ("attendance.created", "checkin.created"):
        return attendance(data["attendee_id"])
    if event_type == "person.unsubscribed":
        return unsubscribed(data["email"], data.get("reason", "unsubscribed"))
    raise LookupError(f"unknown webhook event {event_type!r}")


def envelope(event_type: str, resource: dict, now: datetime | None = None) -> str:
    """The JSON text of the message, as signed and sent."""
    body = {"type": event_type, "timestamp": _date(now or utcnow()), "data": resource}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))
