"""Linking signatures and RSVPs to people (models.person): one rule for every way in.

A person is the holder of an email address (Action Network upserts people by email):
`email_key` is the signatures' own normalization (core.text.normalize_email). Rows
without an email (paper sheets) link to no one.

- One row at a time (the sign form, the API, an RSVP, the poster sign-in): `link(...)`
  runs one `INSERT … ON CONFLICT (email_key) DO UPDATE … RETURNING id` in the caller's
  transaction; signing's own fast path (petition.fast_sign) builds the same statement
  into its signature INSERT.
- In bulk (demo data, CSV imports, the migration's backfill): `link_unlinked()` makes
  the missing people from the rows themselves, then sets their person_id, in two
  statements.
- Retention: `forget_unlinked(ids)` deletes the people it left without a signature or
  RSVP.

Nothing here commits."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, exists, select, text, update

from petitions.core.database import dialect_insert
from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.models import Attendee, Person, Signature
from petitions.models.base import utcnow

_people = Person.__table__
# What a new person takes from the row that brings them, by bind name.
PERSON_PARAMS = ("email", "email_key", "given_name", "family_name", "postal_code", "language")


@cache
def upsert(dialect_name: str, *, town_param: str = "town", refresh: bool = False):
    """INSERT the person … ON CONFLICT (email_key) DO UPDATE … RETURNING id, built once
    per dialect. Binds PERSON_PARAMS, `town_param` (the locality) and `created_at`.

    Signing and RSVPs (`refresh` False) keep the person as first recorded: household
    members share an address, and one must not rename the other. The API's person
    signup (`refresh`) updates the names and address given, and bumps modified_at."""
    values = {name: bindparam(name, type_=_people.c[name].type) for name in PERSON_PARAMS}
    values["locality"] = bindparam(town_param, type_=_people.c.locality.type)
    values["created_at"] = bindparam("created_at", type_=_people.c.created_at.type)
    values["modified_at"] = bindparam("created_at", type_=_people.c.modified_at.type)
    statement = dialect_insert(_people, dialect_name).values(values)
    if refresh:
        new = statement.excluded
        set_ = {
            "given_name": new.given_name,
            "family_name": new.family_name,
            "postal_code": new.postal_code,
            "locality": new.locality,
            "language": new.language,
            "modified_at": new.modified_at,
        }
    else:
        # A no-op update, so RETURNING gives the existing row's id.
        set_ = {"email_key": statement.excluded.email_key}
    return statement.on_conflict_do_update(index_elements=["email_key"], set_=set_).returning(
        _people.c.id
    )


def link(
    *,
    email: str,
    given_name: str = "",
    family_name: str = "",
    postal_code: str = "",
    town: str = "",
    language: str = "en",
    now: datetime | None = None,
    refresh: bool = False,
) -> int | None:
    """The id of the person holding `email`, made if new (None without an email)."""
    key = normalize_email(email)
    if not key:
        return None
    params = {
        "email": email.strip(),
        "email_key": key,
        "given_name": given_name,
        "family_name": family_name,
        "postal_code": postal_code,
        "town": town,
        "language": language,
        "created_at": now or utcnow(),
    }
    statement = upsert(db.session.get_bind().dialect.name, refresh=refresh)
    return db.session.connection().scalar(statement, params)


def touch(person_ids, now: datetime | None = None) -> None:
    """Note that these people changed (an unsubscribe), for `modified_date gt` syncs."""
    db.session.execute(
        update(Person).where(Person.id.in_(person_ids)).values(modified_at=now or utcnow())
    )


def touch_email(email: str, now: datetime | None = None) -> None:
    db.session.execute(
        update(Person)
        .where(Person.email_key == normalize_email(email))
        .values(modified_at=now or utcnow())
    )


# Bulk: the people of rows stored without one, then the links. The first row of an
# address (by id) names its person.
_SIGNERS = text(
    "INSERT INTO people (email, email_key, given_name, family_name, postal_code, locality,"
    " language, created_at, modified_at)"
    " SELECT email, email_key, given_name, family_name, postal_code, town, language,"
    " created_at, created_at FROM signatures"
    " WHERE person_id IS NULL AND email <> '' ORDER BY id"
    " ON CONFLICT (email_key) DO NOTHING"
)
_ATTENDEES = text(
    "INSERT INTO people (email, email_key, given_name, family_name, postal_code, locality,"
    " language, created_at, modified_at)"
    " SELECT email, email_key, name, '', postal_code, '', language, created_at, created_at"
    " FROM attendees WHERE person_id IS NULL AND email <> '' ORDER BY id"
    " ON CONFLICT (email_key) DO NOTHING"
)


def link_unlinked() -> None:
    """Link every signature and attendee with an email but no person (after a bulk
    insert of rows built without one)."""
    for statement, model in ((_SIGNERS, Signature), (_ATTENDEES, Attendee)):
        db.session.execute(statement)
        db.session.execute(
            update(model)
            .where(model.person_id.is_(None), model.email != "")
            .values(
                person_id=select(Person.id)
                .where(Person.email_key == model.email_key)
                .scalar_subquery()
            )
            .execution_options(synchronize_session=False)
        )


def forget_unlinked(person_ids) -> int:
    """Delete those of these people no signature or RSVP points at any more (retention
    removed the last of their personal data); how many went."""
    ids = list(person_ids)
    gone = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        gone += db.session.execute(
            delete(Person)
            .where(
                Person.id.in_(chunk),
                ~exists().where(Signature.person_id == Person.id),
                ~exists().where(Attendee.person_id == Person.id),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    return gone
