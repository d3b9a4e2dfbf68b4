"""Officials directory: areas, matching signers to officials, CSV import/export.

A signer is a constituent of an official when their five-digit ZIP (Signature.zip5) is
one of the official's ZIP codes, or their town (Signature.town_key: case and
surrounding spaces aside) is one of the official's towns. Both are plain SQL joins on
official_areas, whose keys are made by the same rules (core.places).
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import and_, exists, func, or_, select, union
from sqlalchemy.orm import selectinload

from petitions.core import places
from petitions.core.exports import _FORMULA_START, csv_lines
from petitions.core.extensions import db
from petitions.core.text import clean_line
from petitions.models import Signature
from petitions.models.official import AREA_TOWN, AREA_ZIP, Official, OfficialArea, PetitionTarget
from petitions.petition.counting import counted

CSV_HEADER = ["id", "name", "title", "body", "district", "towns", "zip_codes", "email", "phone",
              "address"]  # fmt: skip
MAX_IMPORT_ROWS = 5000


class OfficialError(ValueError):
    pass


# --- areas -----------------------------------------------------------------------------


def split_list(text: str) -> list[str]:
    """Towns / ZIP codes as typed: separated by ';', ',' or new lines."""
    return [clean_line(p) for p in re.split(r"[;,\n]", text or "") if clean_line(p)]


def parse_zip(value: str) -> str:
    code = places.zip5(value)
    if code is None:
        raise OfficialError(f"“{value}” is not a 5-digit ZIP code.")
    return code


def parse_areas(towns: Iterable[str], zips: Iterable[str]) -> list[tuple[str, str, str]]:
    """[(kind, value, key)] without duplicates; raises OfficialError on a bad entry."""
    out: dict[tuple[str, str], str] = {}
    for town in towns:
        if len(town) > 100:
            raise OfficialError(f"Town name too long: “{town[:40]}…”.")
        out.setdefault((AREA_TOWN, places.town_key(town)), town)
    for z in zips:
        code = parse_zip(z)
        out.setdefault((AREA_ZIP, code), code)
    return [(kind, value, key) for (kind, key), value in out.items()]


def set_areas(official: Official, areas: list[tuple[str, str, str]]) -> None:
    wanted = {(kind, key): value for kind, value, key in areas}
    for area in list(official.areas):
        if (area.kind, area.key) not in wanted:
            official.areas.remove(area)
        else:
            area.value = wanted.pop((area.kind, area.key))
    for (kind, key), value in wanted.items():
        official.areas.append(OfficialArea(kind=kind, value=value, key=key))


# --- directory -------------------------------------------------------------------------


@dataclass
class OfficialData:
    name: str
    title: str = ""
    body: str = ""
    district: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    areas: list[tuple[str, str, str]] = field(default_factory=list)

    def apply(self, official: Official) -> Official:
        for attr in ("name", "title", "body", "district", "email", "phone", "address"):
            setattr(official, attr, getattr(self, attr))
        set_areas(official, self.areas)
        return official


def list_officials() -> list[Official]:
    return list(
        db.session.scalars(
            select(Official)
            .options(selectinload(Official.areas))
            .order_by(Official.body, Official.district, Official.name)
        )
    )


def natural_key(name: str, body: str, district: str) -> tuple[str, str, str]:
    return (
        clean_line(name).casefold(),
        clean_line(body).casefold(),
        clean_line(district).casefold(),
    )


# --- matching --------------------------------------------------------------------------


# What a signature is matched on, per kind of area (the model's rules).
_SIGNATURE_KEY = {AREA_ZIP: Signature.zip5, AREA_TOWN: Signature.town_key}


def constituent_clause(official_id: int):
    """EXISTS: the current Signature row lives in one of the official's areas."""
    area = OfficialArea.__table__.alias("area")
    return exists().where(
        area.c.official_id == official_id,
        or_(
            *(and_(area.c.kind == kind, area.c.key == key) for kind, key in _SIGNATURE_KEY.items())
        ),
    )


def _area_matches(petition_id: int, kind: str):
    """(official_id, signature_id) pairs for the petition's targets, by one kind of area."""
    return (
        select(OfficialArea.official_id, Signature.id.label("signature_id"))
        .join(PetitionTarget, PetitionTarget.official_id == OfficialArea.official_id)
        .join(Signature, OfficialArea.key == _SIGNATURE_KEY[kind])
        .where(
            PetitionTarget.petition_id == petition_id,
            OfficialArea.kind == kind,
            counted(petition_id),
        )
    )


def _matches(petition_id: int):
    """(official_id, signature_id) pairs for the petition's targets, each pair once."""
    # UNION drops the double matches (a signer matched by both ZIP and town).
    return union(*(_area_matches(petition_id, kind) for kind in _SIGNATURE_KEY)).subquery()


def counts_by_official(petition_id: int) -> dict[int, int]:
    """{official_id: constituents who signed} for the petition's targets: one grouped query."""
    pairs = _matches(petition_id)
    rows = db.session.execute(
        select(pairs.c.official_id, func.count()).group_by(pairs.c.official_id)
    )
    return {official_id: n for official_id, n in rows}


def unmatched_count(petition_id: int) -> int:
    """Counted signers who are no target's constituent."""
    pairs = _matches(petition_id)
    return (
        db.session.scalar(
            select(func.count(Signature.id)).where(
                counted(petition_id),
                ~exists().where(pairs.c.signature_id == Signature.id),
            )
        )
        or 0
    )


def targets(petition_id: int) -> list[Official]:
    return list(
        db.session.scalars(
            select(Official)
            .join(PetitionTarget, PetitionTarget.official_id == Official.id)
            .where(PetitionTarget.petition_id == petition_id)
            .order_by(Official.body, Official.district, Official.name)
        )
    )


def set_targets(petition_id: int, official_ids: Iterable[int]) -> None:
    wanted = set(official_ids)
    known = set(db.session.scalars(select(Official.id).where(Official.id.in_(wanted))))
    current = {t.official_id: t for t in db.session.scalars(
        select(PetitionTarget).where(PetitionTarget.petition_id == petition_id))}  # fmt: skip
    for official_id, target in current.items():
        if official_id not in known:
            db.session.delete(target)
    for official_id in known - set(current):
        db.session.add(PetitionTarget(petition_id=petition_id, official_id=official_id))


# --- CSV -------------------------------------------------------------------------------


def export_rows() -> Iterator[list]:
    for o in list_officials():
        yield [o.id, o.name, o.title, o.body, o.district, "; ".join(o.towns),
               "; ".join(o.zip_codes), o.email, o.phone, o.address]  # fmt: skip


def export_csv() -> Iterator[str]:
    return csv_lines(CSV_HEADER, export_rows())


@dataclass
class ImportRow:
    line: int
    data: OfficialData | None
    official_id: int | None
    errors: list[str]
    action: str = ""  # "add" or "update"


@dataclass
class ImportReport:
    rows: list[ImportRow]
    file_errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(not r.errors for r in self.rows)

    @property
    def error_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def added(self) -> int:
        return sum(r.action == "add" for r in self.rows)

    @property
    def updated(self) -> int:
        return sum(r.action == "update" for r in self.rows)


def _unguard(value: str) -> str:
    """Undo the export's formula guard: "'=x" → "=x", so export → import round-trips."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def decode_upload(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (Comma delimited)" on Windows writes cp1252.
        return raw.decode("cp1252", errors="replace")


def check_csv(text: str) -> ImportReport:
    """Validate every row; nothing is written. Rows match existing officials by id, else by
    name + body + district; others are added."""
    file_errors: list[str] = []
    rows: list[ImportRow] = []
    if "\x00" in text:
        return ImportReport([], ["This does not look like a CSV text file."])
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [clean_line(h).lower().replace(" ", "_") for h in (reader.fieldnames or [])]
    except csv.Error as e:
        return ImportReport([], [f"Could not read the CSV: {e}."])
    if not header:
        return ImportReport([], ["The file is empty: expected a header row with at least “name”."])
    if "name" not in header:
        return ImportReport(
            [], [f"No “name” column in the header. Expected columns: {', '.join(CSV_HEADER)}."]
        )
    reader.fieldnames = header
    by_id = {o.id: o for o in db.session.scalars(select(Official))}
    by_key = {natural_key(o.name, o.body, o.district): o.id for o in by_id.values()}
    seen: dict = {}
    try:
        for record in reader:
            line = reader.line_num
            if len(rows) >= MAX_IMPORT_ROWS:
                file_errors.append(f"More than {MAX_IMPORT_ROWS} rows: split the file.")
                break
            if None in record:
                rows.append(ImportRow(line, None, None, ["More cells than the header has."]))
                continue
            values = {k: _unguard((v or "").strip()) for k, v in record.items()}
            if not any(values.values()):
                continue  # a blank line
            rows.append(_check_row(line, values, by_id, by_key, seen))
    except csv.Error as e:
        file_errors.append(f"Line {reader.line_num}: {e}.")
    if not rows and not file_errors:
        file_errors.append("The file has a header but no rows.")
    return ImportReport(rows, file_errors)


_LIMITS = {"name": 200, "title": 120, "body": 200, "district": 120, "email": 254, "phone": 40,
           "address": 1000}  # fmt: skip


def _check_row(line, values, by_id, by_key, seen) -> ImportRow:
    errors: list[str] = []
    get = lambda k: clean_line(values.get(k, ""))  # noqa: E731
    name = get("name")
    if not name:
        errors.append("Name is missing.")
    for key, limit in _LIMITS.items():
        if len(values.get(key, "")) > limit:
            errors.append(f"{key.capitalize()} is longer than {limit} characters.")
    email = get("email")
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append(f"“{email}” is not an email address.")
    areas = []
    try:
        areas = parse_areas(
            split_list(values.get("towns", "")), split_list(values.get("zip_codes", ""))
        )
    except OfficialError as e:
        errors.append(str(e))
    official_id = None
    raw_id = get("id")
    if raw_id:
        if not raw_id.isdigit():
            errors.append(f"id “{raw_id}” is not a number.")
        elif int(raw_id) in by_id:
            official_id = int(raw_id)
    key = natural_key(name, get("body"), get("district"))
    if official_id is None:
        official_id = by_key.get(key)
    ident = official_id or key
    if name and ident in seen:
        errors.append(f"Same official as line {seen[ident]}.")
    seen.setdefault(ident, line)
    address = "\n".join(clean_line(p) for p in values.get("address", "").splitlines()).strip()
    data = OfficialData(name=name, title=get("title"), body=get("body"), district=get("district"),
                        email=email, phone=get("phone"), address=address, areas=areas)  # fmt: skip
    return ImportRow(line, None if errors else data, official_id, errors,
                     "" if errors else ("update" if official_id else "add"))  # fmt: skip


def apply_import(report: ImportReport) -> None:
    """All or nothing: only a report without a single error is applied (caller commits)."""
    if not report.ok:
        raise OfficialError("The file has errors; nothing was imported.")
    for row in report.rows:
        official = db.session.get(Official, row.official_id) if row.official_id else None
        if official is None:
            official = Official()
            db.session.add(official)
        row.data.apply(official)
