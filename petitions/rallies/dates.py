"""An event's dates and times as people read them: in the event's own time zone, in the
reader's language (the public pages, the ticket mail, the bilingual poster)."""

from datetime import datetime

from babel.dates import format_date, format_time, get_timezone_name
from flask_babel import get_locale

from petitions.core.timezones import format_local, utc_to_local
from petitions.models import Event


def _locale() -> str:
    return str(get_locale() or "en")


def when_text(event: Event, locale: str | None = None) -> str:
    """'Saturday, March 14, 2026 · 11:00 AM – 1:00 PM (EDT)' in the event's time zone."""
    locale = locale or _locale()
    start = utc_to_local(event.starts_at, event.timezone)
    end = utc_to_local(event.ends_at, event.timezone)
    text = f"{format_date(start, 'full', locale=locale)} · {format_time(start, 'short', locale=locale)}"
    if end is not None:
        if end.date() == start.date():
            text += f" – {format_time(end, 'short', locale=locale)}"
        else:
            text += (
                f" – {format_date(end, 'full', locale=locale)} "
                f"{format_time(end, 'short', locale=locale)}"
            )
    zone = start.tzname() or get_timezone_name(start.tzinfo, locale=locale)
    return f"{text} ({zone})"


def local_time(event: Event, t: datetime | None, locale: str | None = None) -> str:
    """'11:04 AM' (with the date on another day): a moment of the event (a check-in) on the
    event's clock, as timezones.format_local shows it everywhere, in the reader's language."""
    if t is None:
        return ""
    return format_local(t, event.timezone, locale=locale or _locale())
