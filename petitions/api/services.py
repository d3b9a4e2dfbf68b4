"""The API's writes, on the parts' own services: a person signup (upsert by email, with
tags), a signature (petition.signing, the web form's rules) and an RSVP
(rallies.rsvp, with a ticket). Bodies are read here into plain values; nothing
commits (the view commits once, with its audit entry)."""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from petitions.api.queries import ApiInputError
from petitions.core import people, places
from petitions.core.content import LANGUAGES
from petitions.core.database import dialect_insert
from petitions.core.extensions import db
from petitions.core.limits import too_long
from petitions.core.text import clean_line, clean_text
from petitions.models import Person, PersonTag, Tag
from petitions.models.base import utcnow

MAX_TAGS = 50
TAG_MAX = 100


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiInputError(f"{name} must be a string.")
    if "\x00" in value:
        raise ApiInputError(f"{name} holds a NUL character.")
    return value


def _first(data: dict, name: str, holding: str) -> dict:
    """The primary (else the first) entry of an OSDI list such as email_addresses that
    holds `holding` (its address, its postal code)."""
    items = data.get(name)
    if items is None:
        return {}
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ApiInputError(f"{name} must be a list of objects.")
    items = [i for i in items if i.get(holding)] or items
    primary = [i for i in items if i.get("primary")]
    return (primary or items or [{}])[0]


def person_input(body) -> dict:
    """The OSDI `person` of a body → given_name, family_name, email, postal_code, town,
    language (cleaned, checked against core.limits; 400 for anything else)."""
    if not isinstance(body, dict):
        raise ApiInputError('Send a JSON object: {"person": {...}}.')
    data = body.get("person")
    if not isinstance(data, dict):
        raise ApiInputError('The body needs a "person" object.')
    email = _text(_first(data, "email_addresses", "address"), "address").strip()
    try:
        # The sign form's own check (wtforms' Email validator calls it so).
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ApiInputError("person.email_addresses[0].address must be an email address.") from None
    address = _first(data, "postal_addresses", "postal_code")
    postal_code = clean_line(_text(address, "postal_code"))
    zip_code = places.zip5(postal_code) if postal_code else ""
    if zip_code is None:
        raise ApiInputError("postal_code is not a ZIP code.")
    language = _text(data, "preferred_language") or "en"
    spoken = data.get("languages_spoken")
    if not data.get("preferred_language") and isinstance(spoken, list) and spoken:
        language = spoken[0] if isinstance(spoken[0], str) else "en"
    language = language.lower()[:2]
    values = {
        "given_name": clean_line(_text(data, "given_name")),
        "family_name": clean_line(_text(data, "family_name")),
        "email": email,
        "postal_code": zip_code,
        "town": clean_line(_text(address, "locality")),
    }
    for field, limit in too_long(values).items():
        raise ApiInputError(f"{field} is longer than {limit} characters.")
    values["language"] = language if language in LANGUAGES else "en"
    return values


def tag_names(body) -> list[str]:
    names = body.get("add_tags") if isinstance(body, dict) else None
    if names is None:
        return []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ApiInputError("add_tags must be a list of strings.")
    names = [clean_line(n) for n in names if clean_line(n)]
    if len(names) > MAX_TAGS or any(len(n) > TAG_MAX for n in names):
        raise ApiInputError(f"At most {MAX_TAGS} tags of {TAG_MAX} characters each.")
    return list(dict.fromkeys(names))


def comments(body) -> str:
    value = body.get("comments", "") if isinstance(body, dict) else ""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiInputError("comments must be a string.")
    value = clean_text(value)
    for _field, limit in too_long({"comment": value}).items():
        raise ApiInputError(f"comments is longer than {limit} characters.")
    return value


def upsert_person(values: dict, tags: list[str], now: datetime | None = None) -> Person:
    """The person signup helper: the holder of the email, made or updated (names and
    address as given), with the tags added."""
    now = now or utcnow()
    person_id = people.link(refresh=True, now=now, **values)
    add_tags(person_id, tags, now)
    person = db.session.get(Person, person_id)
    db.session.refresh(person)
    return person


def add_tags(person_id: int, names: list[str], now: datetime) -> None:
    if not names:
        return
    db.session.execute(
        dialect_insert(Tag.__table__)
        .values([{"name": n, "created_at": now, "modified_at": now} for n in names])
        .on_conflict_do_nothing(index_elements=["name"])
    )
    ids = db.session.scalars(select(Tag.id).where(Tag.name.in_(names))).all()
    db.session.execute(
        dialect_insert(PersonTag.__table__)
        .values([{"person_id": person_id, "tag_id": i, "created_at": now} for i in ids])
        .on_conflict_do_nothing(index_elements=["person_id", "tag_id"])
    )
