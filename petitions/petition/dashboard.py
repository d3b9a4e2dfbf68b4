"""Read-only queries behind the organizer dashboard and the CSV export.

Counts here are exact (straight from the signatures table); the public page may
use the cached count from services.counting instead.
"""

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import and_, case, func, or_, select

from petitions.core.extensions import db
from petitions.core.places import town_label
from petitions.core.timezones import iso_utc, local_day_bounds, utc_to_local
from petitions.models import ROLE_LABELS, ROLES, ExportLog, Petition, PetitionStatus, Signature
from petitions.models.base import utcnow

FLAGGED = and_(Signature.flagged != "", Signature.hidden.is_(False))
FILTERS = {
    "all": None,
    "counted": Signature.counted,
    "pending": Signature.pending,
    "flagged": FLAGGED,
    "hidden": Signature.hidden.is_(True),
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


def _status_counts(petition: Petition) -> tuple[int, int, int]:
    """(counted, pending, hidden) by the model's rules, in one scan that stays inside
    ix_signatures_petition_counted (petition_id, hidden, confirmed_at)."""
    n = func.count(Signature.id)
    counted, pending, hidden = db.session.execute(
        select(
            n.filter(Signature.counted),
            n.filter(Signature.pending),
            n.filter(Signature.hidden.is_(True)),
        ).where(Signature.petition_id == petition.id)
    ).one()
    return counted, pending, hidden


def counted_by_petition(petition_ids: list[int]) -> dict[int, int]:
    """Exact counted signatures for several petitions in one query (the index page)."""
    if not petition_ids:
        return {}
    rows = db.session.execute(
        select(Signature.petition_id, func.count(Signature.id))
        .where(Signature.petition_id.in_(petition_ids), Signature.counted)
        .group_by(Signature.petition_id)
    )
    return {pid: n for pid, n in rows}


def _hour_bucket(column):
    """A timestamp truncated to the hour, in SQL (per dialect); local days are built from hours
    in Python, which keeps daylight-saving changes right on both databases."""
    if db.session.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]': the first 13 characters are the hour.
        return func.substr(column, 1, 13)
    return func.date_trunc("hour", column)


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    text = str(value)
    return datetime.fromisoformat(text + ":00" if len(text) == 13 else text)


def per_day(
    petition: Petition, zone: ZoneInfo, now: datetime | None = None
) -> list[tuple[str, int]]:
    """Counted signatures per local day (Signature.counted_at: the day each started
    counting, as in the packet), up to CHART_MAX_DAYS ending today (or, for a closed
    petition, on its last signature), with empty days included. Reads only
    ix_signatures_petition_counted."""
    now = now or utcnow()
    first, last = db.session.execute(
        select(func.min(Signature.counted_at), func.max(Signature.counted_at)).where(
            Signature.petition_id == petition.id, Signature.counted
        )
    ).one()

    def local_day(value: datetime) -> date:
        return utc_to_local(value, zone).date()

    end = local_day(now)
    if last is not None and not petition.is_open(now):
        end = min(end, local_day(_as_datetime(last)))
    start = end - timedelta(days=CHART_MAX_DAYS - 1)
    if first is not None:
        start = max(start, local_day(_as_datetime(first)))
    start = min(start, end - timedelta(days=CHART_MIN_DAYS - 1))

    since = local_day_bounds(start, zone)[0]
    until = local_day_bounds(end, zone)[1]
    bucket = _hour_bucket(Signature.counted_at).label("hour")
    rows = db.session.execute(
        select(bucket, func.count(Signature.id))
        .where(
            Signature.petition_id == petition.id,
            Signature.counted,
            Signature.counted_at >= since,
            Signature.counted_at < until,
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


@dataclass
class Overview:
    stats: Stats
    towns: list[tuple[str, int]]  # the largest towns, most signatures first
    other_towns: int  # how many towns are left out of `towns`
    other_town_signatures: int
    roles: list[tuple[str, int]]


def overview(petition: Petition, town_limit: int = 20) -> Overview:
    """The dashboard's numbers with two reads: the status counts from the covering index and
    one pass over the petition's visible rows for towns, roles and flags (counted
    signatures only for towns and roles). Towns group by Signature.town_key, as in the
    packet and the public JSON."""
    counted, pending, hidden = _status_counts(petition)
    town_key, spelling = Signature.town_group()
    is_counted = Signature.counted
    is_flagged = Signature.flagged != ""
    rows = db.session.execute(
        select(
            town_key,
            spelling,
            Signature.role,
            is_counted,
            is_flagged,
            func.count(Signature.id),
        )
        .where(Signature.petition_id == petition.id, Signature.hidden.is_(False))
        .group_by(town_key, Signature.role, is_counted, is_flagged)
    ).all()
    towns: Counter[str] = Counter()
    spellings: dict[str, str] = {}
    roles: Counter[str] = Counter()
    flagged = 0
    for key, town, role, row_counted, row_flagged, n in rows:
        if row_flagged:
            flagged += n
        if row_counted:
            towns[key or ""] += n
            # One spelling for the group, the same whichever of its rows comes first.
            spellings[key or ""] = max(spellings.get(key or "", ""), town or "")
            roles[role] += n
    ordered = sorted(towns.items(), key=lambda kv: (-kv[1], kv[0]))
    top = [(town_label(spellings[k]) or "(no town given)", n) for k, n in ordered[:town_limit]]
    rest = ordered[town_limit:]
    order = list(ROLES) + sorted(r for r in roles if r not in ROLES)
    with force_locale("en"):  # organizer pages are not translated
        roles_in_english = [(str(ROLE_LABELS.get(r, r)), roles[r]) for r in order if roles.get(r)]
    return Overview(
        stats=Stats(
            counted + pending + hidden, counted, pending, hidden, flagged, goal=petition.goal
        ),
        towns=top,
        other_towns=len(rest),
        other_town_signatures=sum(n for _, n in rest),
        roles=roles_in_english,
    )


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
        term = term[:100]
        conditions.append(
            or_(
                *(
                    col.icontains(term, autoescape=True)
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


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


# Action Network's import reads first_name, last_name, email, zip_code; the rest become
# custom fields there and are plain columns in a spreadsheet.
# (header, what is read, how a value is written; None: as it is)
_EXPORT = (
    ("first_name", Signature.given_name, None),
    ("last_name", Signature.family_name, None),
    ("email", Signature.email, None),
    ("zip_code", Signature.postal_code, None),
    ("town", Signature.town, None),
    ("role", Signature.role, None),
    ("waitlist_number", Signature.waitlist_number, None),
    ("comment", Signature.comment, None),
    ("show_name", Signature.show_name, _yes_no),
    ("opt_in", Signature.opt_in, _yes_no),
    ("source", Signature.source, None),
    ("sheet_number", Signature.sheet_number, None),
    ("created_at", Signature.created_at, iso_utc),
    (
        "status",
        case((Signature.counted, "confirmed"), (Signature.pending, "pending"), else_="hidden"),
        None,
    ),
)
EXPORT_HEADER = [header for header, _, _ in _EXPORT]


def export_snapshot(petition: Petition) -> tuple[int, int]:
    """(highest signature id, rows) at this moment: the export streams exactly these rows,
    so the logged row count matches the file even while people keep signing."""
    max_id, rows = db.session.execute(
        select(func.max(Signature.id), func.count(Signature.id)).where(
            Signature.petition_id == petition.id
        )
    ).one()
    return _n(max_id), _n(rows)


def export_rows(petition_id: int, max_id: int, batch: int = 2000) -> Iterator[list]:
    """Signature rows for the CSV, oldest first, streamed from the database in batches
    (plain rows, not ORM objects, so memory stays flat at 100,000 signatures)."""
    # Core execution on the session's connection: no ORM row processing; yield_per streams
    # (a server-side cursor on PostgreSQL, fetchmany batches on SQLite).
    result = db.session.connection().execute(
        select(*(column for _, column, _ in _EXPORT))
        .where(Signature.petition_id == petition_id, Signature.id <= max_id)
        .order_by(Signature.id),
        execution_options={"yield_per": batch},
    )
    write = [how for _, _, how in _EXPORT]
    for row in result:
        yield [value if how is None else how(value) for how, value in zip(write, row, strict=True)]


def status_label(petition: Petition) -> str:
    if petition.archived:
        return "archived"
    status = petition.public_status
    if status == PetitionStatus.CLOSED and petition.status == PetitionStatus.PUBLISHED:
        return "closed (deadline passed)"
    return str(status)
