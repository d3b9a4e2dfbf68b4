"""Rallies: the organizer's dashboard numbers, check-ins over time, the attendee list
and its CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.core.text import clean_line
from petitions.core.timezones import utc_to_local, zone
from petitions.models import (
    INTERPRETATION_LABELS,
    NEED_LABELS,
    Attendee,
    Event,
    KioskEntry,
    Need,
)

BUCKET = timedelta(minutes=5)
MAX_BUCKETS = 96  # 8 hours of 5-minute bars


@dataclass
class Stats:
    rsvps: int
    checked_in: int
    walk_ups: int
    kiosk_walk_ups: int
    signed_at_signin: int
    signed_petition: int
    people: int  # places the RSVPs hold (Attendee.places): a household of 3 is 3
    checked_in_people: int  # everyone checked in with their party
    capacity: int | None
    series: list[tuple[str, int]]
    # Attendees asking for each need (Need value -> count), and for interpretation in
    # each of the event's languages (code -> count).
    needs: dict[str, int] = field(default_factory=dict)
    interpretation: dict[str, int] = field(default_factory=dict)

    def need_rows(self) -> list[tuple[str, str, int]]:
        """(key, English label, count) for the dashboard, interpretation by language."""
        rows = [(f"need_{v}", str(NEED_LABELS[Need(v)]), n) for v, n in self.needs.items()]
        rows += [
            (f"interpretation_{c}", str(INTERPRETATION_LABELS[c]), n)
            for c, n in self.interpretation.items()
        ]
        return rows

    def as_dict(self) -> dict:
        return {
            "rsvps": self.rsvps,
            "people": self.people,
            "checked_in": self.checked_in,
            "checked_in_people": self.checked_in_people,
            "walk_ups": self.walk_ups,
            "kiosk_walk_ups": self.kiosk_walk_ups,
            "poster_walk_ups": self.walk_ups - self.kiosk_walk_ups,
            "signed_at_signin": self.signed_at_signin,
            "signed_petition": self.signed_petition,
            "capacity": self.capacity,
            "needs": dict(self.needs),
            "interpretation": dict(self.interpretation),
            **{key: n for key, _label, n in self.need_rows()},
        }


def stats(event: Event) -> Stats:
    live = (Attendee.event_id == event.id, Attendee.revoked.is_(False))
    languages = event.offered_languages
    row = db.session.execute(
        select(
            func.count(Attendee.id).filter(Attendee.walk_up.is_(False)),
            func.count(Attendee.checked_in_at),
            func.count(Attendee.id).filter(Attendee.walk_up.is_(True)),
            func.count(Attendee.id).filter(
                Attendee.checked_in_at.is_not(None), Attendee.signed_petition.is_(True)
            ),
            func.count(Attendee.id).filter(Attendee.signed_petition.is_(True)),
            func.coalesce(func.sum(Attendee.places), 0),
            func.coalesce(
                func.sum(Attendee.party_size).filter(Attendee.checked_in_at.is_not(None)), 0
            ),
            *(func.count(Attendee.id).filter(Attendee.has_need(need)) for need in Need),
            *(
                func.count(Attendee.id).filter(
                    Attendee.has_need(Need.INTERPRETATION),
                    Attendee.interpretation_language == code,
                )
                for code in languages
            ),
        ).where(*live)
    ).one()
    base, need_counts, language_counts = row[:7], row[7 : 7 + len(Need)], row[7 + len(Need) :]
    times = db.session.scalars(
        select(Attendee.checked_in_at)
        .where(*live, Attendee.checked_in_at.is_not(None))
        .order_by(Attendee.checked_in_at)
    ).all()
    return Stats(
        *base[:3],
        kiosk_walk_ups(event),
        *base[3:],
        capacity=event.capacity,
        series=checkin_series(event, times),
        needs={need.value: n for need, n in zip(Need, need_counts, strict=True)},
        interpretation=dict(zip(languages, language_counts, strict=True)),
    )


def kiosk_walk_ups(event: Event) -> int:
    """Walk-ups who came in at a welcome-table kiosk (the others used the poster)."""
    return (
        db.session.scalar(
            select(func.count(KioskEntry.id))
            .join(Attendee, Attendee.id == KioskEntry.attendee_id)
            .where(
                KioskEntry.event_id == event.id,
                KioskEntry.result == "walk_up",
                Attendee.revoked.is_(False),
            )
        )
        or 0
    )


def _floor(t: datetime) -> datetime:
    return t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0)


def checkin_series(event: Event, times: list[datetime]) -> list[tuple[str, int]]:
    """Check-ins per 5 minutes, labelled in the event's local time."""
    if times:
        first, last = _floor(times[0]), _floor(times[-1])
    else:
        first = _floor(event.starts_at - timedelta(minutes=30))
        last = first + timedelta(hours=2)
    n = int((last - first) / BUCKET) + 1
    if n > MAX_BUCKETS:
        first = last - BUCKET * (MAX_BUCKETS - 1)
        n = MAX_BUCKETS
    counts = [0] * n
    for t in times:
        i = int((t - first) / BUCKET)
        if 0 <= i < n:
            counts[i] += 1
    tz = zone(event.timezone)
    return [
        (utc_to_local(first + BUCKET * i, tz).strftime("%H:%M"), c) for i, c in enumerate(counts)
    ]


def attendees(event: Event, query: str = "", limit: int | None = None, by_email: bool = True):
    """Attendees by name; search by name (and email, for those allowed to see emails)."""
    q = select(Attendee).where(Attendee.event_id == event.id)
    query = clean_line(query)
    if query:
        match = Attendee.name.icontains(query, autoescape=True)
        if by_email:
            match = match | Attendee.email_key.icontains(query, autoescape=True)
        q = q.where(match)
    q = q.order_by(Attendee.name, Attendee.id)
    if limit:
        q = q.limit(limit)
    return db.session.scalars(q).all()


EXPORT_HEADER = [
    "name",
    "email",
    "phone",
    "postal_code",
    "waitlist_number",
    "kind",
    "signed_petition",
    "rsvp_at",
    "checked_in_at",
    "ticket",
    # Appended, so columns read by position before stay where they were.
    "party_size",
    "places",
    "needs",
    "interpretation_language",
    "needs_note",
]


def export_rows(event: Event) -> Iterator[list]:
    tz = event.timezone

    def local(t):
        return utc_to_local(t, tz).strftime("%Y-%m-%d %H:%M") if t else ""

    rows = db.session.execute(
        select(
            Attendee.name,
            Attendee.email,
            Attendee.phone,
            Attendee.postal_code,
            Attendee.waitlist_number,
            Attendee.walk_up,
            Attendee.signed_petition,
            Attendee.party_size,
            Attendee.places,
            Attendee.needs,
            Attendee.interpretation_language,
            Attendee.needs_note,
            Attendee.created_at,
            Attendee.checked_in_at,
            Attendee.revoked,
        )
        .where(Attendee.event_id == event.id)
        .order_by(Attendee.id)
        .execution_options(yield_per=1000)
    )
    for r in rows:
        yield [
            r.name,
            r.email,
            r.phone,
            r.postal_code,
            r.waitlist_number,
            "walk-up" if r.walk_up else "rsvp",
            "yes" if r.signed_petition else "no",
            local(r.created_at),
            local(r.checked_in_at),
            "revoked" if r.revoked else "valid",
            r.party_size,
            r.places,
            r.needs.replace(",", "; "),
            r.interpretation_language,
            r.needs_note,
        ]


def attendee_count(event: Event) -> int:
    return (
        db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id)) or 0
    )
