"""Rallies: an event's slug, poster sign-in key, RSVP and sign-in windows, and map link.

No request objects in here: views pass plain values, and the caller commits once.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple
from urllib.parse import quote_plus

from sqlalchemy import and_, or_, select

from petitions.core.extensions import db
from petitions.core.timezones import local_day_bounds, utc_to_local
from petitions.core.tokens import is_well_formed, new_token, normalize_token
from petitions.models import Event, EventStatus
from petitions.models.base import utcnow
from petitions.models.event import DEFAULT_DURATION

SIGNIN_KEY_LENGTH = 8  # 40 bits: printed on posters, only retires old ones
RESERVED_SLUGS = frozenset({"new"})


def new_signin_key() -> str:
    return new_token(SIGNIN_KEY_LENGTH)


def slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    q = select(Event.id).where(Event.slug == slug)
    if exclude_id is not None:
        q = q.where(Event.id != exclude_id)
    return db.session.scalar(q) is not None


def create_event(**fields) -> Event:
    event = Event(signin_key=new_signin_key(), status=EventStatus.DRAFT, **fields)
    db.session.add(event)
    return event


def rotate_signin_key(event: Event) -> str:
    event.signin_key = new_signin_key()
    return event.signin_key


def signin_key_matches(event: Event, key: str) -> bool:
    key = normalize_token(key)
    return is_well_formed(key, SIGNIN_KEY_LENGTH) and secrets.compare_digest(key, event.signin_key)


class ComingUp(NamedTuple):
    event: Event
    today: bool  # under way or starting today, on the event's own clock


def coming_up(now: datetime | None = None, limit: int = 10) -> list[ComingUp]:
    """Published events that have not ended yet, or ended earlier today, soonest first:
    what a volunteer may be scanning tickets at."""
    now = now or utcnow()
    day_start = local_day_bounds(utc_to_local(now).date())[0]  # the site's today
    ends_today_or_later = or_(
        Event.ends_at >= day_start,
        and_(Event.ends_at.is_(None), Event.starts_at >= day_start - DEFAULT_DURATION),
    )
    events = db.session.scalars(
        select(Event)
        .where(Event.status == EventStatus.PUBLISHED, ends_today_or_later)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    )
    result = []
    for event in events:
        today = utc_to_local(now, event.timezone).date()
        result.append(
            ComingUp(event, utc_to_local(event.starts_at, event.timezone).date() <= today)
        )
    return result


def map_url(event: Event) -> str | None:
    where = ", ".join(p for p in (event.place, event.address) if p)
    if not event.address:
        return None
    return "https://www.openstreetmap.org/search?query=" + quote_plus(where)
