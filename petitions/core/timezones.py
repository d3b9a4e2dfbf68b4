"""Moments in a local time zone: one behaviour everywhere.

The database stores naive UTC. Organizers type wall-clock times in a zone (an event's own,
or DEFAULT_TIMEZONE for petitions); signers and volunteers read them back in that zone.
A wall-clock time that a clock change skips (2:30 on the spring-forward night) or repeats
(1:30 on the fall-back night) names no single moment: it is refused with a clear message
rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_skeleton, format_time
from flask import current_app, has_app_context

FALLBACK_ZONE = "America/New_York"


class BadLocalTime(ValueError):
    """A wall-clock time that is skipped or repeated by a clock change in its zone."""


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_timezone(name: str | None) -> bool:
    return bool(name) and name in _zone_names()


def zone(name: str | None = None) -> ZoneInfo:
    """The named zone; without a (valid) name, the site's DEFAULT_TIMEZONE."""
    if not valid_timezone(name):
        name = FALLBACK_ZONE
        if has_app_context():
            configured = current_app.config.get("DEFAULT_TIMEZONE")
            name = configured if valid_timezone(configured) else FALLBACK_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # listed, but unreadable on this system
        return ZoneInfo(FALLBACK_ZONE)


Zone = str | tzinfo | None  # a zone name, a zone (ZoneInfo, datetime.UTC), or the site's


def _zone_name(tz: Zone) -> tzinfo:
    return tz if isinstance(tz, tzinfo) else zone(tz)


def naive_utc(dt: datetime) -> datetime:
    """An aware datetime → naive UTC, as the database stores moments; a naive one (already
    naive UTC) is returned as is."""
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


def local_to_utc(local: datetime, tz: Zone = None) -> datetime:
    """A wall-clock time in `tz` (default: the site's zone) → naive UTC.

    Raises BadLocalTime for a time skipped or repeated by a clock change."""
    z = _zone_name(tz)
    naive = local.replace(tzinfo=None)
    first = naive.replace(tzinfo=z, fold=0)
    second = naive.replace(tzinfo=z, fold=1)
    if first.utcoffset() != second.utcoffset():
        skipped = first.astimezone(UTC).astimezone(z).replace(tzinfo=None) != naive
        what = "does not exist" if skipped else "happens twice"
        raise BadLocalTime(
            f"{naive:%Y-%m-%d %H:%M} {what} in {z.key} (the clocks change that night). "
            "Please choose another time."
        )
    return naive_utc(first)


def local_day_to_utc(day: date, at: time | None = None, tz: Zone = None):
    """A local date (+ time, default 23:59, the end of that day) → naive UTC."""
    return local_to_utc(datetime.combine(day, at or time(23, 59)), tz)


def local_day_bounds(day: date, tz: Zone = None) -> tuple[datetime, datetime]:
    """[start, end) of a local day as naive UTC: its first moment and the next day's.

    Never refused, unlike a typed time: a day always has a first moment. When a clock
    change skips or repeats midnight (a few zones change at 00:00), fold=0 of 00:00 is
    exactly that moment (the instant of the change, or the first of the two midnights)."""
    z = _zone_name(tz)
    return (
        naive_utc(datetime.combine(day, time(), z)),
        naive_utc(datetime.combine(day + timedelta(days=1), time(), z)),
    )


def utc_to_local(utc: datetime | None, tz: Zone = None) -> datetime | None:
    """Naive UTC → an aware datetime in `tz` (default: the site's zone)."""
    if utc is None:
        return None
    return utc.replace(tzinfo=UTC).astimezone(_zone_name(tz))


def iso_utc(dt: datetime | None) -> str | None:
    """Naive UTC → '2026-12-02T18:30:00Z' (whole seconds), for JSON and CSV."""
    if dt is None:
        return None
    return dt.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def format_local(
    dt: datetime, tz: Zone = None, now: datetime | None = None, locale: str = "en"
) -> str:
    """A moment (a check-in) on the clock of `tz`, in `locale`: '12:04 PM', or with the date,
    'Mar 3, 12:04 PM', when that is not today there."""
    z = _zone_name(tz)
    local = utc_to_local(dt, z)
    today = utc_to_local(now or datetime.now(UTC).replace(tzinfo=None), z).date()
    text = format_time(local, "short", locale=locale)
    if local.date() != today:
        text = f"{format_skeleton('MMMd', local, locale=locale)}, {text}"
    return text
