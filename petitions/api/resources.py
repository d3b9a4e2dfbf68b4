"""The OSDI resources, in the shape Action Network's v2 API gives them: plain functions
over models (and the few values a caller looked up beside them), request-free apart
from `base`, the API's absolute root URL (api_root()), so webhooks can send the same
JSON from a background job.

Every resource has `identifiers` ("petitions:<id>", our system's prefix),
`created_date`, `modified_date` and `_links.self`."""

from __future__ import annotations

from datetime import datetime

from petitions.core.timezones import iso_utc
from petitions.core.urls import public_url, share_url
from petitions.models import (
    Attendee,
    Event,
    EventStatus,
    Person,
    PersonTag,
    Petition,
    Signature,
    Tag,
)
from petitions.models.event import needs_of

SYSTEM = "petitions"
CURIE = "osdi"


def api_root() -> str:
    """The API's absolute root URL, ending in "/" (PUBLIC_BASE_URL's host when set)."""
    return public_url("osdi.entry")


def identifier(row_id: int) -> list[str]:
    return [f"{SYSTEM}:{row_id}"]


def _link(href: str) -> dict:
    return {"href": href}


def _common(row_id: int, href: str, created: datetime, modified: datetime | None) -> dict:
    return {
        "identifiers": identifier(row_id),
        "origin_system": SYSTEM,
        "created_date": iso_utc(created),
        "modified_date": iso_utc(modified or created),
        "_links": {"self": _link(href)},
    }


def person(
    row: Person,
    base: str,
    *,
    unsubscribed: bool = False,
    custom_fields: dict | None = None,
) -> dict:
    """A person. `unsubscribed`: the address is on the suppression list (mail.suppressions);
    `custom_fields`: what the caller may see of their signatures (role, waitlist number)."""
    href = f"{base}people/{row.id}"
    out = _common(row.id, href, row.created_at, row.modified_at)
    out.update(
        given_name=row.given_name,
        family_name=row.family_name,
        email_addresses=[
            {
                "primary": True,
                "address": row.email,
                "status": "unsubscribed" if unsubscribed else "subscribed",
            }
        ],
        postal_addresses=[
            {
                "primary": True,
                "postal_code": row.postal_code,
                "locality": row.locality,
                "country": "US",
            }
        ],
        languages_spoken=[row.language],
        preferred_language=row.language,
        custom_fields=custom_fields or {},
    )
    out["_links"].update(
        {
            "osdi:signatures": _link(f"{href}/signatures"),
            "osdi:attendances": _link(f"{href}/attendances"),
            "osdi:taggings": _link(f"{href}/taggings"),
        }
    )
    return out


def signer(row: Signature) -> dict:
    """The person as a signature itself records them: for a signer with no email address
    (a paper sheet's line), who has no person record of their own."""
    return {
        "given_name": row.given_name,
        "family_name": row.family_name,
        "email_addresses": [],
        "postal_addresses": [
            {"primary": True, "postal_code": row.postal_code, "locality": row.town, "country": "US"}
        ],
        "languages_spoken": [row.language],
    }


def petition(row: Petition, base: str, *, total_signatures: int) -> dict:
    href = f"{base}petitions/{row.id}"
    out = _common(row.id, href, row.created_at, row.updated_at)
    out.update(
        title=row.title,
        name=row.slug,
        description=row.summary,
        petition_text=row.body,
        target=[{"name": row.addressed_to}] if row.addressed_to else [],
        status=row.public_status,
        total_signatures=total_signatures,
        browser_url=share_url("public.petition", slug=row.slug),
    )
    out["_links"]["osdi:signatures"] = _link(f"{href}/signatures")
    return out


def signature(row: Signature, base: str) -> dict:
    """A signature. Its comment only when the signer agreed to show their name and story
    (show_name, the sign form's consent box); its person link only while it has one."""
    href = f"{base}petitions/{row.petition_id}/signatures/{row.id}"
    out = _common(row.id, href, row.created_at, row.confirmed_at)
    out.update(
        action_date=iso_utc(row.created_at),
        comments=row.comment if row.show_name else "",
        referrer_data={"source": row.source},
        status="confirmed" if row.confirmed_at is not None else "pending",
    )
    links = out["_links"]
    links["osdi:petition"] = _link(f"{base}petitions/{row.petition_id}")
    if row.person_id is not None:
        links["osdi:person"] = _link(f"{base}people/{row.person_id}")
    return out


EVENT_STATUS = {
    EventStatus.PUBLISHED: "confirmed",
    EventStatus.DRAFT: "tentative",
    EventStatus.CANCELLED: "cancelled",
}


def event(row: Event, base: str, *, total_accepted: int) -> dict:
    href = f"{base}events/{row.id}"
    out = _common(row.id, href, row.created_at, row.updated_at)
    out.update(
        title=row.name,
        name=row.slug,
        description=row.description,
        start_date=iso_utc(row.starts_at),
        end_date=iso_utc(row.end),
        timezone_identifier=row.timezone,
        location={"venue": row.place, "address_lines": [row.address] if row.address else []},
        capacity=row.capacity,
        status=EVENT_STATUS.get(row.status, row.status),
        total_accepted=total_accepted,
        browser_url=share_url("events.event_page", slug=row.slug),
    )
    out["_links"]["osdi:attendances"] = _link(f"{href}/attendances")
    return out


def attendance(row: Attendee, base: str) -> dict:
    href = f"{base}events/{row.event_id}/attendances/{row.id}"
    out = _common(row.id, href, row.created_at, row.checked_in_at)
    out.update(
        status="cancelled" if row.revoked else "accepted",
        attended=row.checked_in_at is not None,
        walk_up=row.walk_up,
        # What the RSVP said its party needs (models.event.Need), and how many they are.
        party_size=row.party_size,
        needs=[str(need) for need in needs_of(row.needs)],
        interpretation_language=row.interpretation_language,
        needs_note=row.needs_note,
    )
    links = out["_links"]
    links["osdi:event"] = _link(f"{base}events/{row.event_id}")
    if row.person_id is not None:
        links["osdi:person"] = _link(f"{base}people/{row.person_id}")
    return out


def tag(row: Tag, base: str) -> dict:
    out = _common(row.id, f"{base}tags/{row.id}", row.created_at, row.modified_at)
    out["name"] = row.name
    return out


def tagging(row: PersonTag, base: str) -> dict:
    """A tag on a person (its id is the tag's: a person holds a tag once)."""
    href = f"{base}people/{row.person_id}/taggings/{row.tag_id}"
    out = _common(row.tag_id, href, row.created_at, row.created_at)
    out["_links"]["osdi:tag"] = _link(f"{base}tags/{row.tag_id}")
    out["_links"]["osdi:person"] = _link(f"{base}people/{row.person_id}")
    return out
