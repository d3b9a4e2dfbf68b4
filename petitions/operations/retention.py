"""Removing signers' and attendees' personal data some days after a petition or event ends.

A petition ends when it stops taking signatures (closed, archived, or its deadline
passed); if its packet was delivered later than that, the clock starts at the delivery,
since the organizer needs the names until then. An event ends when it is over
(Event.end). Each keeps its personal data for its own
`retention_days`, or the site's RETENTION_DAYS.

Removal blanks names, emails, phones, postal codes, comments and waitlist numbers, and
replaces the signer's and attendee's secrets (so their links stop working). It keeps
each row with its town, role, dates and state, so every count, chart, the public JSON
and the packet totals stay what they were. Stored packet PDFs of the petition are
deleted (their record, with its totals and checksum, stays). Running it again changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select, update

from petitions.core import people
from petitions.core.extensions import db
from petitions.models import (
    Attendee,
    Event,
    PacketRecord,
    PacketSettings,
    Petition,
    PetitionStatus,
    Signature,
)
from petitions.models.base import removed, utcnow
from petitions.packets.storage import stored_file
from petitions.petition import counting

# Blanked keys and secrets are made from the row id, so they stay unique, and are not
# well-formed tokens (services.tokens), so no link or ticket can find the row again.


class RetentionError(ValueError):
    pass


def default_days() -> int:
    return int(current_app.config["RETENTION_DAYS"])


def days_for(obj: Petition | Event, override: int | None = None) -> int:
    """How many days `obj` keeps personal data after it ends: `override` (retention run
    --days), else its own setting, else RETENTION_DAYS."""
    if override is not None:
        return override
    return obj.retention_days if obj.retention_days is not None else default_days()


def petition_ended_at(petition: Petition, now: datetime | None = None) -> datetime | None:
    """When the retention clock of a petition started, or None while it can still be signed."""
    now = now or utcnow()
    if petition.status == PetitionStatus.DRAFT or petition.is_open(now):
        return None
    if petition.status == PetitionStatus.CLOSED:
        end = petition.closed_at or petition.updated_at
    else:  # published, deadline passed
        end = petition.deadline
    settings = db.session.get(PacketSettings, petition.id)
    if settings is not None and settings.delivered_at is not None:
        end = max(end, settings.delivered_at)
    return end


def event_ended_at(event: Event, now: datetime | None = None) -> datetime | None:
    end = event.end
    return end if end <= (now or utcnow()) else None


def petition_removal_date(
    petition: Petition, days: int | None = None, now: datetime | None = None
) -> datetime | None:
    """When the petition's personal data goes (naive UTC), or None while it is open."""
    end = petition_ended_at(petition, now)
    return None if end is None else end + timedelta(days=days_for(petition, days))


def event_removal_date(
    event: Event, days: int | None = None, now: datetime | None = None
) -> datetime | None:
    end = event_ended_at(event, now)
    return None if end is None else end + timedelta(days=days_for(event, days))


def _signature_rows(petition_id: int):
    """The petition's rows that still hold personal data."""
    return and_(Signature.petition_id == petition_id, Signature.email_key != removed(Signature.id))


def _attendee_rows(event_id: int):
    return and_(Attendee.event_id == event_id, Attendee.email_key != removed(Attendee.id))


@dataclass
class Removed:
    kind: str  # "petition" or "event"
    slug: str
    ended_at: datetime
    rows: int


@dataclass
class RetentionSummary:
    """What a run removed (or, with dry_run, would remove); one record describes it."""

    days: int | None  # the --days given, or None: each petition's/event's own
    dry_run: bool
    ran_at: datetime
    items: list[Removed] = field(default_factory=list)
    packet_files: int = 0

    @property
    def signatures(self) -> int:
        return sum(i.rows for i in self.items if i.kind == "petition")

    @property
    def attendees(self) -> int:
        return sum(i.rows for i in self.items if i.kind == "event")

    def describe(self) -> str:
        verb = "Would remove" if self.dry_run else "Removed"
        return (
            f"{verb} the personal data of {self.signatures} signatures and "
            f"{self.attendees} attendees ({len(self.items)} petitions and events, "
            f"{self.packet_files} packet files)."
        )


def _people_of(model, where) -> list[int]:
    """The people these rows link to (before their links are removed with the rest)."""
    query = select(model.person_id).where(where, model.person_id.is_not(None)).distinct()
    return list(db.session.scalars(query))


def _count(where) -> int:
    return int(db.session.scalar(select(func.count()).where(where)))


def remove_petition_data(petition: Petition) -> tuple[int, int]:
    """Blank the personal data of one petition's signers now; (rows, packet files).
    Their people (core.people) go too, unless another petition or event still holds
    their data."""
    holders = _people_of(Signature, _signature_rows(petition.id))
    rows = db.session.execute(
        update(Signature)
        .where(_signature_rows(petition.id))
        .values(Signature.personal_data_removed())
        .execution_options(synchronize_session=False)
    ).rowcount
    people.forget_unlinked(holders)
    files = 0
    for record in db.session.scalars(
        select(PacketRecord).where(
            PacketRecord.petition_id == petition.id, PacketRecord.file_path != ""
        )
    ):
        path = stored_file(record)
        if path is not None:
            path.unlink(missing_ok=True)
            files += 1
        if record.source != "cli":  # a command-line packet's path is only a note of where it went
            record.file_path = ""
    if rows or petition.personal_data_removed_at is None:
        petition.personal_data_removed_at = utcnow()
        # The cached list of recent supporters holds first names: drop it with the counts.
        counting.forget(petition)
    return rows, files


def remove_event_data(event: Event) -> int:
    holders = _people_of(Attendee, _attendee_rows(event.id))
    rows = db.session.execute(
        update(Attendee)
        .where(_attendee_rows(event.id))
        .values(Attendee.personal_data_removed())
        .execution_options(synchronize_session=False)
    ).rowcount
    people.forget_unlinked(holders)
    if rows or event.personal_data_removed_at is None:
        event.personal_data_removed_at = utcnow()
    return rows


def run(days: int | None = None, dry_run: bool = False, now: datetime | None = None):
    """Remove what is due. `days` overrides every petition's and event's own setting.
    The caller commits."""
    if days is not None and days < 0:
        raise RetentionError("The number of days must be 0 or more.")
    now = now or utcnow()
    summary = RetentionSummary(days=days, dry_run=dry_run, ran_at=now)
    candidates = db.session.scalars(
        select(Petition).where(Petition.status != PetitionStatus.DRAFT).order_by(Petition.id)
    ).all()
    for petition in candidates:
        due = petition_removal_date(petition, days, now)
        if due is None or due > now:
            continue
        if dry_run:
            n = _count(_signature_rows(petition.id))
            files = sum(
                1
                for r in db.session.scalars(
                    select(PacketRecord).where(PacketRecord.petition_id == petition.id)
                )
                if stored_file(r) is not None
            )
        else:
            n, files = remove_petition_data(petition)
        summary.packet_files += files
        if n or files:
            summary.items.append(
                Removed("petition", petition.slug, petition_ended_at(petition, now), n)
            )
    events = db.session.scalars(
        select(Event).where(Event.starts_at <= now).order_by(Event.id)
    ).all()
    for event in events:
        due = event_removal_date(event, days, now)
        if due is None or due > now:
            continue
        n = _count(_attendee_rows(event.id)) if dry_run else remove_event_data(event)
        if n:
            summary.items.append(Removed("event", event.slug, event_ended_at(event, now), n))
    return summary
