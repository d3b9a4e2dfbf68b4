"""Rallies: the event's iCalendar file (RFC 5545)."""

from __future__ import annotations

from datetime import datetime

from petitions.models import Event, EventStatus
from petitions.models.base import utcnow


def _ics_escape(text: str) -> str:
    return (
        (text or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def _ics_fold(line: str) -> str:
    """Lines of at most 75 octets, continuation lines starting with a space (RFC 5545 3.1)."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode())
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _ics_time(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%SZ")


def ics(
    event: Event,
    url: str,
    description: str,
    host: str,
    now: datetime | None = None,
    name: str | None = None,
) -> str:
    """An iCalendar (RFC 5545) file with one VEVENT in UTC times; `name`: the event's name
    in the reader's language (default: the English one)."""
    now = now or utcnow()
    location = ", ".join(p for p in (event.place, event.address) if p)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Petitions//Rallies//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:event-{event.id}@{host}",
        f"DTSTAMP:{_ics_time(now)}",
        f"DTSTART:{_ics_time(event.starts_at)}",
        f"DTEND:{_ics_time(event.end)}",
        f"SUMMARY:{_ics_escape(name or event.name)}",
        f"LOCATION:{_ics_escape(location)}" if location else None,
        f"DESCRIPTION:{_ics_escape(description)}" if description else None,
        f"URL:{url}",
        "STATUS:CANCELLED" if event.status == EventStatus.CANCELLED else "STATUS:CONFIRMED",
        f"LAST-MODIFIED:{_ics_time(event.updated_at or now)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_ics_fold(line) + "\r\n" for line in lines if line is not None)
