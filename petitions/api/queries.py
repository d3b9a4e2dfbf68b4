"""What an API caller may see, the OData filters, and keyset paging.

Scope: a token acts as its user. Admins see everything; organizers the petitions they
created, the events linked to those petitions, and the people who signed or RSVPed
those; volunteers see petitions, events and tags but no personal data (403).

Paging: `page`/`per_page` as Action Network has them, answered by keyset underneath.
The first id of every page of a collection (its "page index") is computed once by one
index-only walk and kept for API_PAGE_CACHE_SECONDS, so page 4,000 is one index seek,
like page 1; `_links.next` carries `after=<last id>`, so a client following it reads
the exact next rows whatever was added meanwhile."""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import Select, func, or_, select

from petitions.core.caching import remember
from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.models import Attendee, Event, Person, Petition, Role, Signature

MAX_PER_PAGE = 25
MAX_ID = 2**31 - 1  # ids are 32-bit integers: anything above is no row


class ApiInputError(ValueError):
    """A query or body the API cannot take: answered 400 with this message."""


class Forbidden(Exception):
    """The caller's role may not see this (volunteers and personal data)."""


@dataclass(frozen=True)
class Caller:
    id: int
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_personal_data(self) -> bool:
        return self.role in (Role.ADMIN, Role.ORGANIZER)

    @property
    def scope(self) -> str:
        """Part of the page index's cache key: everything, or one organizer's own."""
        return "all" if self.role != Role.ORGANIZER else f"user{self.id}"


def own_petition_ids(caller: Caller):
    return select(Petition.id).where(Petition.created_by_id == caller.id)


def petitions_where(caller: Caller):
    if caller.role != Role.ORGANIZER:
        return None
    return Petition.created_by_id == caller.id


def events_where(caller: Caller):
    if caller.role != Role.ORGANIZER:
        return None
    return Event.petition_id.in_(own_petition_ids(caller))


def _where(query: Select, condition) -> Select:
    return query if condition is None else query.where(condition)


def visible_petition(caller: Caller, petition_id: int) -> Petition | None:
    return db.session.scalar(
        _where(select(Petition).where(Petition.id == petition_id), petitions_where(caller))
    )


def visible_event(caller: Caller, event_id: int) -> Event | None:
    return db.session.scalar(
        _where(select(Event).where(Event.id == event_id), events_where(caller))
    )


def people_where(caller: Caller):
    """The people the caller may see (must_see_personal_data first)."""
    if caller.is_admin:
        return None
    own = own_petition_ids(caller)
    own_events = select(Event.id).where(Event.petition_id.in_(own))
    return or_(
        Person.id.in_(select(Signature.person_id).where(Signature.petition_id.in_(own))),
        Person.id.in_(select(Attendee.person_id).where(Attendee.event_id.in_(own_events))),
    )


def must_see_personal_data(caller: Caller) -> None:
    if not caller.sees_personal_data:
        raise Forbidden


def visible_person(caller: Caller, person_id: int) -> Person | None:
    return db.session.scalar(
        _where(select(Person).where(Person.id == person_id), people_where(caller))
    )


# --- filters ---------------------------------------------------------------------------

_FILTER = re.compile(r"^\s*(\w+)\s+(eq|gt)\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


def parse_filter(text: str | None, fields: dict) -> tuple[str, object] | None:
    """`email_address eq 'a@b.org'` or `modified_date gt '2026-01-01T00:00:00Z'` →
    (field, value), for the fields this collection takes: {name: (op, kind)}."""
    if text is None or not text.strip():
        return None
    if "\x00" in text:
        raise ApiInputError("filter holds a NUL character.")
    match = _FILTER.match(text)
    if match is None:
        raise ApiInputError(
            "filter must look like: email_address eq 'someone@example.org' "
            "or modified_date gt '2026-01-01T00:00:00Z'."
        )
    field, op, value = match.group(1).lower(), match.group(2).lower(), match.group(3)
    value = value.replace("''", "'")
    if field == "email":
        field = "email_address"
    if field not in fields or fields[field] != op:
        known = ", ".join(f"{name} {o}" for name, o in fields.items())
        raise ApiInputError(f"This collection filters on: {known}.")
    if field == "modified_date":
        return field, parse_moment(value)
    return field, normalize_email(value)


def parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiInputError("modified_date takes an ISO 8601 date or time.") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# --- paging ----------------------------------------------------------------------------


@dataclass
class Paging:
    page: int
    per_page: int
    after: int | None


def paging(args) -> Paging:
    """page (from 1), per_page (clamped to 25, as Action Network does) and the `after`
    cursor of _links.next; anything else is a 400."""

    def whole(name: str, default: int | None) -> int | None:
        raw = args.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiInputError(f"{name} must be a whole number.") from None
        if abs(value) > MAX_ID:
            raise ApiInputError(f"{name} is too large.")
        return value

    page, per_page, after = whole("page", 1), whole("per_page", MAX_PER_PAGE), whole("after", None)
    if page < 1:
        raise ApiInputError("page starts at 1.")
    if per_page < 1:
        raise ApiInputError("per_page must be at least 1.")
    if after is not None and after < 0:
        raise ApiInputError("after must be 0 or more.")
    return Paging(page, min(per_page, MAX_PER_PAGE), after)


@dataclass
class Page:
    ids: list[int]
    total: int
    paging: Paging
    rows: list = field(default_factory=list)

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.paging.per_page)


def page_of(key: str, ids: Select, id_column, p: Paging, table=None) -> Page:
    """One page of `ids` (a SELECT of the collection's ids, unordered), by keyset: one
    index seek from the page's first id. With `table`, the page's rows are read in the
    same query (as plain rows) and kept in `rows`.

    `key` names the collection, its scope and filter, for the page index."""

    def index() -> tuple[int, list[int]]:
        # Numbered in the database, so only every per_page-th id comes back to Python.
        n = func.row_number().over(order_by=id_column).label("n")
        numbered = ids.add_columns(n).subquery()
        first = list(numbered.c)[0]
        starts = db.session.scalars(
            select(first).where((numbered.c.n - 1) % p.per_page == 0).order_by(numbered.c.n)
        ).all()
        total = db.session.scalar(select(func.count()).select_from(ids.subquery()))
        return int(total), list(starts)

    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    seconds = float(current_app.config["API_PAGE_CACHE_SECONDS"])
    total, starts = remember(f"osdi-pages:{digest}:{p.per_page}", index, seconds)
    if p.after is not None:
        start = ids.where(id_column > p.after)
    elif p.page == 1:
        start = ids  # always today's first rows, whatever the index says
    elif p.page - 1 < len(starts):
        start = ids.where(id_column >= starts[p.page - 1])
    else:
        return Page([], total, p)
    start = start.order_by(id_column).limit(p.per_page)
    if table is None:
        return Page(list(db.session.scalars(start)), total, p)
    rows = db.session.execute(start.with_only_columns(*table.columns)).all()
    return Page([r.id for r in rows], total, p, rows)
