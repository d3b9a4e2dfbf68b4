"""Read-only queries behind the organizer dashboard and the CSV export.

Counts here are exact (straight from the signatures table); the public page may
use the cached count from services.counting instead.
"""

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select

from ..extensions import db
from ..models import ROLES, ExportLog, Petition, PetitionStatus, Signature
from ..models.base import utcnow

COUNTED = and_(Signature.confirmed_at.is_not(None), Signature.hidden.is_(False))
PENDING = and_(Signature.confirmed_at.is_(None), Signature.hidden.is_(False))
FLAGGED = and_(Signature.flagged != "", Signature.hidden.is_(False))
FILTERS = {
    "all": None,
    "counted": COUNTED,
    "pending": PENDING,
    "flagged": FLAGGED,
    "hidden": Signature.hidden.is_(True),
}
ROLE_LABELS = {
    "parent": "Parent / guardian",
    "student": "Student",
    "educator": "Educator",
    "community": "Community member",
    "other": "Other",
    "": "Not given",
}
PER_PAGE = 50
CHART_MAX_DAYS = 60
CHART_MIN_DAYS = 14


@dataclass
class Stats:
    total: int
    counted: int
    pending: int
    hidden: int
    flagged: int
    goal: int

    @property
    def percent(self) -> int:
        return min(100, math.floor(100 * self.counted / self.goal)) if self.goal else 0


def _n(value) -> int:
    return int(value or 0)


def stats(petition: Petition) -> Stats:
    row = db.session.execute(
        select(
            func.count(Signature.id),
            func.sum(case((COUNTED, 1), else_=0)),
            func.sum(case((PENDING, 1), else_=0)),
            func.sum(case((Signature.hidden.is_(True), 1), else_=0)),
            func.sum(case((FLAGGED, 1), else_=0)),
        ).where(Signature.petition_id == petition.id)
    ).one()
    return Stats(*(_n(v) for v in row), goal=petition.goal)


def counted_by_petition(petition_ids: list[int]) -> dict[int, int]:
    """Exact counted signatures for several petitions in one query (the index page)."""
    if not petition_ids:
        return {}
    rows = db.session.execute(
        select(Signature.petition_id, func.count(Signature.id))
        .where(Signature.petition_id.in_(petition_ids), COUNTED)
        .group_by(Signature.petition_id)
    )
    return {pid: n for pid, n in rows}


def _hour_bucket():
    """created_at truncated to the hour, in SQL (per dialect); local days are built from hours
    in Python, which keeps daylight-saving changes right on both databases."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H:00:00", Signature.created_at)
    return func.date_trunc("hour", Signature.created_at)


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.fromisoformat(str(value))


def per_day(
    petition: Petition, zone: ZoneInfo, now: datetime | None = None
) -> list[tuple[str, int]]:
    """Counted signatures per local day: up to CHART_MAX_DAYS ending today (or, for a
    closed petition, on its last signature), with empty days included."""
    now = now or utcnow()
    first, last = db.session.execute(
        select(func.min(Signature.created_at), func.max(Signature.created_at)).where(
            Signature.petition_id == petition.id, COUNTED
        )
    ).one()

    def local_day(value: datetime) -> date:
        return value.replace(tzinfo=UTC).astimezone(zone).date()

    end = local_day(now)
    if last is not None and not petition.is_open(now):
        end = min(end, local_day(_as_datetime(last)))
    start = end - timedelta(days=CHART_MAX_DAYS - 1)
    if first is not None:
        start = max(start, local_day(_as_datetime(first)))
    start = min(start, end - timedelta(days=CHART_MIN_DAYS - 1))

    since = datetime.combine(start, datetime.min.time(), zone).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    bucket = _hour_bucket().label("hour")
    rows = db.session.execute(
        select(bucket, func.count(Signature.id))
        .where(
            Signature.petition_id == petition.id,
            COUNTED,
            Signature.created_at >= since.replace(tzinfo=None),
            Signature.created_at < until.replace(tzinfo=None),
        )
        .group_by(bucket)
    )
    days: Counter[date] = Counter()
    for hour, n in rows:
        days[local_day(_as_datetime(hour))] += n
    out = []
    day = start
    while day <= end:
        out.append((day.strftime("%b %-d"), days.get(day, 0)))
        day += timedelta(days=1)
    return out


def by_town(petition: Petition, limit: int = 20) -> tuple[list[tuple[str, int]], int, int]:
    """(top towns with counts, number of other towns, their signatures). Spellings that differ
    only in case are one town."""
    key = func.lower(Signature.town)
    rows = db.session.execute(
        select(func.max(Signature.town), func.count(Signature.id))
        .where(Signature.petition_id == petition.id, COUNTED)
        .group_by(key)
        .order_by(func.count(Signature.id).desc(), func.max(Signature.town))
    ).all()
    top = [(town or "(no town given)", n) for town, n in rows[:limit]]
    rest = rows[limit:]
    return top, len(rest), sum(n for _, n in rest)


def by_role(petition: Petition) -> list[tuple[str, int]]:
    rows = dict(
        db.session.execute(
            select(Signature.role, func.count(Signature.id))
            .where(Signature.petition_id == petition.id, COUNTED)
            .group_by(Signature.role)
        ).all()
    )
    order = list(ROLES) + sorted(r for r in rows if r not in ROLES)
    return [(ROLE_LABELS.get(r, r), rows[r]) for r in order if rows.get(r)]


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class Page:
    items: list[Signature]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search(
    petition: Petition, q: str = "", show: str = "all", page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Latest signatures first. Every word of q must match the given or family name, the
    email, the town or the postal code (case-insensitive, substring)."""
    conditions = [Signature.petition_id == petition.id]
    if (extra := FILTERS.get(show)) is not None:
        conditions.append(extra)
    for term in q.split()[:6]:
        pattern = _like(term[:100])
        conditions.append(
            or_(
                *(
                    col.ilike(pattern, escape="\\")
                    for col in (
                        Signature.given_name,
                        Signature.family_name,
                        Signature.email,
                        Signature.town,
                        Signature.postal_code,
                    )
                )
            )
        )
    total = db.session.scalar(select(func.count(Signature.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    items = db.session.scalars(
        select(Signature)
        .where(*conditions)
        .order_by(Signature.created_at.desc(), Signature.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(list(items), total, page, per_page)


def needs_review(petition: Petition, limit: int = 50) -> list[Signature]:
    return list(
        db.session.scalars(
            select(Signature)
            .where(Signature.petition_id == petition.id, FLAGGED)
            .order_by(Signature.created_at.desc(), Signature.id.desc())
            .limit(limit)
        )
    )


def export_log(petition: Petition, limit: int = 20) -> list[ExportLog]:
    return list(
        db.session.scalars(
            select(ExportLog)
            .where(ExportLog.kind == "signatures", ExportLog.subject == petition.slug)
            .order_by(ExportLog.created_at.desc(), ExportLog.id.desc())
            .limit(limit)
        )
    )


# --- CSV export -----------------------------------------------------------------------

# Action Network's import reads first_name, last_name, email, zip_code; the rest become
# custom fields there and are plain columns in a spreadsheet.
EXPORT_HEADER = [
    "first_name",
    "last_name",
    "email",
    "zip_code",
    "town",
    "role",
    "waitlist_number",
    "comment",
    "show_name",
    "opt_in",
    "source",
    "sheet_number",
    "created_at",
    "status",
]
_EXPORT_COLUMNS = (
    Signature.given_name,
    Signature.family_name,
    Signature.email,
    Signature.postal_code,
    Signature.town,
    Signature.role,
    Signature.waitlist_number,
    Signature.comment,
    Signature.show_name,
    Signature.opt_in,
    Signature.source,
    Signature.sheet_number,
    Signature.created_at,
    Signature.hidden,
    Signature.confirmed_at,
)


def export_snapshot(petition: Petition) -> tuple[int, int]:
    """(highest signature id, rows) at this moment: the export streams exactly these rows,
    so the logged row count matches the file even while people keep signing."""
    max_id, rows = db.session.execute(
        select(func.max(Signature.id), func.count(Signature.id)).where(
            Signature.petition_id == petition.id
        )
    ).one()
    return _n(max_id), _n(rows)


def _iso_utc(value: datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() + "Z" if value else ""


def export_rows(petition_id: int, max_id: int, batch: int = 2000) -> Iterator[list]:
    """Signature rows for the CSV, oldest first, streamed from the database in batches
    (plain rows, not ORM objects, so memory stays flat at 100,000 signatures)."""
    result = db.session.execute(
        select(*_EXPORT_COLUMNS)
        .where(Signature.petition_id == petition_id, Signature.id <= max_id)
        .order_by(Signature.id)
        .execution_options(yield_per=batch)
    )
    for (
        given,
        family,
        email,
        zip_code,
        town,
        role,
        waitlist,
        comment,
        show_name,
        opt_in,
        source,
        sheet,
        created_at,
        hidden,
        confirmed_at,
    ) in result:
        status = "hidden" if hidden else ("confirmed" if confirmed_at else "pending")
        yield [
            given,
            family,
            email,
            zip_code,
            town,
            role,
            waitlist,
            comment,
            "true" if show_name else "false",
            "true" if opt_in else "false",
            source,
            sheet,
            _iso_utc(created_at),
            status,
        ]


def status_label(petition: Petition) -> str:
    status = petition.public_status
    if status == PetitionStatus.CLOSED and petition.status == PetitionStatus.PUBLISHED:
        return "closed (deadline passed)"
    return str(status)
