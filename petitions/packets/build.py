"""Building a delivery packet: what goes into one, read from the database.

`plan_packet` turns a request (petition, official, scope, paper, sort) into a
`pdf.PacketDocument` whose signature rows are streamed from the database when
drawn; `generate_packet` renders it to a file object, hashing as it writes
(packets.storage keeps the file and its record).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import case, func, select

from petitions.core.extensions import db
from petitions.core.places import town_label
from petitions.core.text import html_to_text
from petitions.core.timezones import utc_to_local, zone
from petitions.models import ROLE_LABELS, Attendee, Event, Petition, Signature
from petitions.models.official import Official
from petitions.models.packet import (
    SCOPE_COMBINED,
    SCOPE_CONSTITUENTS,
    SCOPE_EVERYONE,
    SORT_DATE,
    SORT_TOWN,
    StoryExclusion,
)
from petitions.packets import officials as officials_service
from petitions.packets.letter import DEFAULT_LETTER, fill_letter
from petitions.packets.pdf import (
    PAPER,
    PacketDocument,
    RenderResult,
    Section,
    Story,
    Summary,
    render_packet,
)
from petitions.packets.settings import settings_for
from petitions.packets.stories import consented_story
from petitions.petition.counting import counted


class PacketError(ValueError):
    """A packet that cannot be made as asked; the message says why and what to do."""


@dataclass
class PacketRequest:
    official_id: int | None = None  # None: a combined packet (targets) or everyone
    scope: str = SCOPE_CONSTITUENTS  # constituents / everyone, for one official
    paper: str = "letter"
    sort_order: str | None = None  # None: the petition's setting

    def validate(self) -> None:
        if self.paper not in PAPER:
            raise PacketError("Paper must be letter or a4.")
        if self.scope not in (SCOPE_CONSTITUENTS, SCOPE_EVERYONE, SCOPE_COMBINED):
            raise PacketError("Choose constituents, everyone, or a combined packet.")
        if self.sort_order not in (None, SORT_TOWN, SORT_DATE):
            raise PacketError("Sort by town or by date.")

    def as_dict(self) -> dict:
        return dict(official_id=self.official_id, scope=self.scope, paper=self.paper,
                    sort_order=self.sort_order)  # fmt: skip


def _sponsors_text(petition: Petition) -> str:
    names = petition.sponsor_list
    if not names:
        return "the undersigned"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _order(sort_order: str):
    if sort_order == SORT_DATE:
        return (Signature.counted_at, Signature.id)
    town = Signature.town_key
    return (case((town == "", 1), else_=0), town, func.lower(Signature.family_name),
            func.lower(Signature.given_name), Signature.counted_at, Signature.id)  # fmt: skip


def _summary(petition: Petition, where, total: int, tz) -> Summary:
    first, last, with_waitlist = db.session.execute(
        select(
            func.min(Signature.counted_at),
            func.max(Signature.counted_at),
            func.count(Signature.waitlist_number),
        ).where(where)  # fmt: skip
    ).one()
    town_key, spelling = Signature.town_group()
    by_town = [
        (town_label(town), n)
        for town, n in db.session.execute(
            select(spelling, func.count())
            .where(where)
            .group_by(town_key)
            .order_by(func.count().desc(), town_key)
        )
    ]
    with force_locale("en"):  # packets are printed in English, whatever the session's language
        by_role = [
            (str(ROLE_LABELS.get(role, role)), n)
            for role, n in db.session.execute(
                select(Signature.role, func.count())
                .where(where)
                .group_by(Signature.role)
                .order_by(func.count().desc())
            )
        ]
    # Signatures per local day (the day each started counting, as on the dashboard): only
    # the timestamps, streamed, bucketed here (time zones).
    days: Counter = Counter()
    for (counted_at,) in db.session.execute(
        select(Signature.counted_at).where(where).execution_options(yield_per=5000)
    ):
        days[utc_to_local(counted_at, tz).date()] += 1
    attendance = []
    for event in db.session.scalars(
        select(Event).where(Event.petition_id == petition.id).order_by(Event.starts_at)
    ):
        checked_in, rsvps = db.session.execute(
            select(func.count(Attendee.checked_in_at), func.count(Attendee.id)).where(
                Attendee.event_id == event.id, Attendee.revoked.is_(False)
            )
        ).one()
        when = utc_to_local(event.starts_at, tz)
        attendance.append((event.name, f"{when:%B %-d, %Y}", checked_in, rsvps))
    return Summary(total=total, first=first, last=last, by_town=by_town, by_role=by_role,
                   waitlist_count=with_waitlist or 0, per_day=sorted(days.items()),
                   attendance=attendance)  # fmt: skip


def _stories(petition: Petition, where) -> list[Story]:
    excluded = select(StoryExclusion.signature_id).where(StoryExclusion.petition_id == petition.id)
    rows = db.session.execute(
        select(Signature.given_name, Signature.family_name, Signature.town, Signature.comment)
        .where(where, consented_story(), Signature.id.not_in(excluded))
        .order_by(*_order(SORT_TOWN))
    )
    return [Story(f"{g} {f}".strip(), town_label(t), c.strip()) for g, f, t, c in rows]


def _rows_query(where, sort_order: str):
    stmt = (
        select(
            Signature.given_name,
            Signature.family_name,
            Signature.town,
            Signature.counted_at,
            Signature.waitlist_number,
        )  # fmt: skip
        .where(where)
        .order_by(*_order(sort_order))
    )
    return lambda: db.session.execute(stmt.execution_options(yield_per=2000))


def _addressee(official: Official | None, petition: Petition) -> str:
    if official is None:
        return petition.addressed_to or "Decision-makers"
    return f"{official.title} {official.name}".strip()


def _section(petition, settings, official, scope, sort_order, tz, today) -> Section | None:
    where = counted(petition.id)
    if official is not None and scope == SCOPE_CONSTITUENTS:
        where = where & officials_service.constituent_clause(official.id)
    total = db.session.scalar(select(func.count(Signature.id)).where(where)) or 0
    if total == 0:
        return None
    if official is not None and scope == SCOPE_CONSTITUENTS:
        areas = []
        if official.towns:
            areas.append("towns: " + ", ".join(official.towns))
        if official.zip_codes:
            areas.append("ZIP codes: " + ", ".join(official.zip_codes))
        scope_text = (
            f"Signers who live in the area {official.name} represents ({'; '.join(areas)}). "
            "A signer is counted here when the first five digits of their postal code or "
            "their town match."
        )
        signers = f"{total:,} of your constituents" if total != 1 else "one of your constituents"
    else:
        scope_text = "Everyone who signed, from every town."
        signers = f"{total:,} people" if total != 1 else "one person"
    scope_text += " Only confirmed signatures are counted; no email addresses or phone numbers."
    heading = official.label if official else (petition.addressed_to or "All signers")
    address = [_addressee(official, petition)] if official else [heading]
    if official:
        address += [line for line in (official.body, official.district) if line]
        address += [line.strip() for line in official.address.splitlines() if line.strip()]
    values = {
        "official": _addressee(official, petition),
        "title": petition.title,
        "ask": html_to_text(petition.body) or petition.summary,
        "summary": petition.summary,
        "sponsors": _sponsors_text(petition),
        "signers": signers,
        "count": f"{total:,}",
        "date": today,
    }
    letter = fill_letter(settings.cover_letter.strip() or DEFAULT_LETTER, values)
    return Section(
        heading=heading,
        scope_text=scope_text,
        address_lines=address,
        letter=letter,
        summary=_summary(petition, where, total, tz),
        stories=_stories(petition, where),
        row_count=total,
        rows=_rows_query(where, sort_order),
        sort_order=sort_order,
    )


@dataclass
class PacketPlan:
    document: PacketDocument
    official: Official | None
    scope: str
    filter_text: str
    skipped: list[str]

    @property
    def row_count(self) -> int:
        return sum(s.row_count for s in self.document.sections)


def _no_signers(official: Official | None, scope: str) -> PacketError:
    if official is not None and scope == SCOPE_CONSTITUENTS:
        where = ", ".join(official.towns + official.zip_codes) or "no towns or ZIP codes yet"
        return PacketError(
            f"No counted signatures match {official.label}'s towns and ZIP codes ({where}). "
            "Add towns or ZIP codes to the official, or make a packet of everyone who signed."
        )
    return PacketError(
        "This petition has no counted signatures yet, so there is no packet to make."
    )


def count_rows(petition: Petition, req: PacketRequest) -> int:
    """How many signature rows the packet will list (to decide on a background job)."""
    req.validate()
    where = counted(petition.id)
    if req.scope == SCOPE_COMBINED or (req.official_id is None and req.scope != SCOPE_EVERYONE):
        counts = officials_service.counts_by_official(petition.id)
        if counts:
            return sum(counts.values())
    elif req.scope == SCOPE_CONSTITUENTS and req.official_id is not None:
        where = where & officials_service.constituent_clause(req.official_id)
    return db.session.scalar(select(func.count(Signature.id)).where(where)) or 0


def plan_packet(petition: Petition, req: PacketRequest, author: str = "") -> PacketPlan:
    """Raise PacketError with a clear message when there is nothing (right) to print."""
    req.validate()
    settings = settings_for(petition)
    sort_order = req.sort_order or settings.sort_order or SORT_TOWN
    tz = zone()
    now_local = datetime.now(tz)
    today = f"{now_local:%B} {now_local.day}, {now_local.year}"
    sections: list[Section] = []
    skipped: list[str] = []
    official = None
    scope = req.scope
    if req.official_id is not None and scope != SCOPE_COMBINED:
        official = db.session.get(Official, req.official_id)
        if official is None:
            raise PacketError(f"There is no official with id {req.official_id}.")
        section = _section(petition, settings, official, scope, sort_order, tz, today)
        if section is None:
            raise _no_signers(official, scope)
        sections.append(section)
        filter_text = (
            f"Constituents of {official.label}"
            if scope == SCOPE_CONSTITUENTS
            else f"Everyone who signed, addressed to {official.label}"
        )
    else:
        target_list = officials_service.targets(petition.id)
        if target_list and scope != SCOPE_EVERYONE:
            scope = SCOPE_COMBINED
            for o in target_list:
                section = _section(petition, settings, o, SCOPE_CONSTITUENTS, sort_order, tz, today)
                if section is None:
                    skipped.append(o.label)
                else:
                    sections.append(section)
            if not sections:
                raise PacketError(
                    "None of this petition's officials has a signer from their towns or ZIP "
                    "codes yet: " + "; ".join(skipped) + "."
                )
            filter_text = "Combined: constituents of " + "; ".join(s.heading for s in sections)
            if skipped:
                filter_text += " (no signers from: " + "; ".join(skipped) + ")"
        else:
            scope = SCOPE_EVERYONE
            section = _section(petition, settings, None, SCOPE_EVERYONE, sort_order, tz, today)
            if section is None:
                raise _no_signers(None, scope)
            sections.append(section)
            filter_text = "Everyone who signed"
    filter_text += f"; sorted by {sort_order}; {req.paper}"
    document = PacketDocument(
        petition_title=petition.title,
        author=author or _sponsors_text(petition),
        subject=f"Petition signatures — {filter_text}"[:300],
        sections=sections,
        paper=req.paper,
        show_waitlist_numbers=settings.show_waitlist_numbers,
        generated_on=today,
        timezone=tz,
        keywords=f"petition, signatures, {petition.slug}",
    )
    return PacketPlan(document, official, scope, filter_text[:500], skipped)


class HashingWriter:
    """A write-only file object that hashes and counts what passes through."""

    def __init__(self, raw):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self):
        self.raw.flush()


@contextmanager
def reading():
    """One consistent read for the whole packet (the page count is planned from counts taken
    before the rows are read): a snapshot on PostgreSQL, a plain deferred BEGIN on SQLite so
    a long render does not hold the write lock that signers need (database.py).

    It starts a transaction of its own, so the caller's session must have nothing to write:
    reads loaded before are let go (and reloaded as needed), never committed."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("a packet is read in a transaction of its own: commit first")
    db.session.rollback()  # only reads to let go of
    options = {"read_only": True}
    if db.session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"
    db.session.connection(execution_options=options)
    try:
        yield
    finally:
        db.session.rollback()  # read only: nothing to keep


@dataclass
class GeneratedPacket:
    result: RenderResult
    sha256: str
    size: int
    official_id: int | None
    addressed_to: str
    scope: str
    filter_text: str
    sort_order: str
    paper: str
    show_waitlist_numbers: bool
    skipped: list[str]


def generate_packet(petition: Petition, req: PacketRequest, out, progress=None, total_cb=None,
                    author: str = "") -> GeneratedPacket:  # fmt: skip
    """Plan and render in one read transaction; `out` is a binary file object."""
    with reading():
        plan = plan_packet(petition, req, author)
        if total_cb:
            total_cb(plan.row_count)
        writer = HashingWriter(out)
        result = render_packet(plan.document, writer, progress)
        doc = plan.document
        return GeneratedPacket(
            result=result,
            sha256=writer.sha.hexdigest(),
            size=writer.size,
            official_id=plan.official.id if plan.official else None,
            addressed_to=", ".join(s.heading for s in doc.sections)[:300],
            scope=plan.scope,
            filter_text=plan.filter_text,
            sort_order=doc.sections[0].sort_order,
            paper=doc.paper,
            show_waitlist_numbers=doc.show_waitlist_numbers,
            skipped=plan.skipped,
        )
