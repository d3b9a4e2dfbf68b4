"""CSV import of signatures from another tool: check first (dry run), then import.

The file is read as UTF-8 (a BOM is fine), comma- or semicolon-separated, with a
header row: this app's own export headers (Action Network's: first_name, last_name,
email, zip_code, ...) and common variants ("First Name", "zip", "Postal Code", ...).

Two kinds of trouble:
- the file as a whole is not what it should be (not UTF-8, no name columns, rows with
  more or fewer cells than the header — a shifted column would put values in the wrong
  fields): reported line by line, and nothing can be imported;
- single rows that are invalid (no name, a bad ZIP, one name more than a shared email
  may sign for: the household limit of every other way in) or duplicates (already signed, or
  repeated in the file): reported line by line and skipped; the other rows are accepted.

The import re-checks the stored file against the database and writes every accepted
row in one transaction, or nothing.
"""

import csv
import io
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from petitions.core import people
from petitions.core.extensions import db
from petitions.core.timezones import naive_utc
from petitions.core.tokens import ALPHABET, is_well_formed, new_token
from petitions.models import Petition, Signature
from petitions.models.base import utcnow
from petitions.paper.services import accepts_paper, check_fields
from petitions.petition.signing import SigningError, signature_row

MAX_ROWS = 100_000
KEEP_SECONDS = 24 * 3600
REPORT_LIMIT = 200  # problem rows listed in the report (all are counted)

# Normalized header → field. Normalized: lower case, runs of non-letters → "_".
HEADER_ALIASES = {
    "given_name": ["first_name", "firstname", "given_name", "first", "given", "nombre", "fname"],
    "family_name": [
        "last_name", "lastname", "family_name", "surname", "last", "family",
        "apellido", "apellidos", "lname",
    ],
    "email": ["email", "email_address", "e_mail", "e_mail_address", "correo", "correo_electronico"],
    "postal_code": [
        "zip_code", "zip", "zipcode", "postal_code", "postcode", "post_code", "zip_postal_code",
        "postal", "codigo_postal",
    ],
    "town": ["town", "city", "municipality", "ciudad", "pueblo"],
    "role": ["role", "rol"],
    "waitlist_number": ["waitlist_number", "waitlist", "waitlist_no", "lottery_number"],
    "comment": ["comment", "comments", "story", "why", "message", "comentario"],
    "show_name": ["show_name", "public", "display_name_publicly"],
    "opt_in": ["opt_in", "optin", "subscribed", "email_opt_in", "can2_subscribe_status"],
    "sheet_number": ["sheet_number", "sheet", "sheet_no"],
    "language": ["language", "lang", "idioma", "preferred_language", "locale"],
    "created_at": ["created_at", "signed_at", "date", "signed", "timestamp", "created", "date_signed"],
    "status": ["status"],
}  # fmt: skip
_ALIAS_TO_FIELD = {alias: f for f, aliases in HEADER_ALIASES.items() for alias in aliases}

TRUE = {"true", "yes", "y", "1", "x", "si", "sí", "✓", "subscribed", "t", "on"}
FALSE = {"false", "no", "n", "0", "", "f", "off", "unsubscribed"}
STATUS_OK = {"", "confirmed", "signed", "counted", "verified", "active", "ok"}
STATUS_SKIP = {
    "pending": "Not confirmed in the source.",
    "unconfirmed": "Not confirmed in the source.",
    "hidden": "Hidden in the source.",
    "removed": "Removed in the source.",
    "spam": "Marked as spam in the source.",
}
# The spreadsheet guard our own export adds (services.exports.safe_cell): "'=..." → "=...".
_GUARDED = re.compile(r"^'(?=[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20])")
_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y", "%m/%d/%y")


class ImportError_(Exception):
    """An upload that cannot be checked at all (empty, too many rows, stale token)."""


@dataclass
class Problem:
    line: int  # line number in the file (the header is line 1)
    reason: str
    name: str = ""


@dataclass
class Report:
    total: int = 0
    accepted: int = 0
    duplicates: list[Problem] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    file_errors: list[Problem] = field(default_factory=list)  # block the whole import
    columns: dict[str, str] = field(default_factory=dict)  # field → header as written
    ignored_columns: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # accepted rows, ready to insert

    @property
    def duplicate_count(self) -> int:
        return len(self.duplicates)

    @property
    def invalid_count(self) -> int:
        return len(self.invalid)

    @property
    def importable(self) -> bool:
        return not self.file_errors and self.accepted > 0

    def summary(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicate": self.duplicate_count,
            "invalid": self.invalid_count,
        }


def _norm_header(h: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (h or "").strip().casefold()).strip("_")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode(data: bytes, report: Report) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        report.file_errors.append(
            Problem(
                _line_of(data, e.start),
                f"not UTF-8 text (byte 0x{data[e.start]:02X}); in Excel use "
                "“Save as → CSV UTF-8”, in Google Sheets “Download → CSV”",
            )
        )
        return None


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _unguard(value: str) -> str:
    return _GUARDED.sub("", value)


def _parse_bool(value: str) -> bool | None:
    v = value.strip().casefold()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    return None


def _parse_date(value: str) -> datetime | None:
    v = value.strip()
    try:
        when = datetime.fromisoformat(v)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                when = datetime.strptime(v, fmt)
                break
            except ValueError:
                continue
        else:
            return None
    return naive_utc(when)


def analyse(petition: Petition, data: bytes) -> Report:
    """Check a CSV file against the petition's signatures. Writes nothing."""
    report = Report()
    text = _decode(data, report)
    if text is None:
        return report
    if not text.strip():
        report.file_errors.append(Problem(1, "the file is empty"))
        return report
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        header = next(reader)
    except csv.Error as e:
        report.file_errors.append(Problem(1, f"not a CSV file ({e})"))
        return report
    index: dict[str, int] = {}
    for i, h in enumerate(header):
        name = _ALIAS_TO_FIELD.get(_norm_header(h))
        if name and name not in index:
            index[name] = i
            report.columns[name] = h.strip()
        elif h.strip():
            report.ignored_columns.append(h.strip())
    missing = [f for f in ("given_name", "family_name") if f not in index]
    if missing or not ({"email", "postal_code", "town"} & index.keys()):
        report.file_errors.append(
            Problem(
                1,
                "the header row needs columns for first name, last name and email or ZIP "
                "(e.g. first_name, last_name, email, zip_code); found: "
                + (", ".join(h.strip() for h in header if h.strip())[:300] or "nothing"),
            )
        )
        return report

    existing_keys: set[tuple[str, str]] = set()
    existing_near: set[tuple[str, str]] = set()
    # Names per shared email, the same household rule as every other way in.
    households: Counter[str] = Counter()
    household_max = int(current_app.config["SIGN_HOUSEHOLD_MAX"])
    for email, email_key, nkey, postal in db.session.execute(
        select(Signature.email, Signature.email_key, Signature.name_key, Signature.zip5)
        .where(Signature.petition_id == petition.id)
        .execution_options(yield_per=5000)
    ):
        existing_keys.add((email_key, nkey))
        existing_near.add((nkey, postal))
        if email:
            households[email_key] += 1
    seen: dict[tuple[str, str], int] = {}
    now = utcnow()
    width = len(header)

    line, last = 1, reader.line_num
    try:
        for cells in reader:
            # The line a row starts on (a quoted cell may span lines).
            line, last = last + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            report.total += 1
            if report.total > MAX_ROWS:
                report.file_errors.append(
                    Problem(line, f"more than {MAX_ROWS:,} rows; split the file")
                )
                break
            if len(cells) != width:
                report.file_errors.append(
                    Problem(
                        line,
                        f"{len(cells)} cells where the header has {width} "
                        "(a missing or extra separator, or an unclosed quote)",
                    )
                )
                continue
            raw = {f: _unguard(cells[i]) for f, i in index.items()}
            name = f"{raw.get('given_name', '').strip()} {raw.get('family_name', '').strip()}"
            reasons = []
            for flag in ("show_name", "opt_in"):
                if flag in raw:
                    parsed = _parse_bool(raw[flag])
                    if parsed is None:
                        reasons.append(f"{flag} “{raw[flag][:20]}” is not yes or no.")
                    raw[flag] = bool(parsed)
            status = raw.get("status", "").strip().casefold()
            if status in STATUS_SKIP:
                reasons.append(STATUS_SKIP[status])
            created = now
            if raw.get("created_at", "").strip():
                created = _parse_date(raw["created_at"])
                if created is None:
                    reasons.append(
                        f"Date “{raw['created_at'][:30]}” not understood (use YYYY-MM-DD HH:MM)."
                    )
                elif created > now:
                    reasons.append("Date is in the future.")
            entry, errors = check_fields(petition, raw, pad_zip=True)
            reasons = list(errors.values()) + reasons
            if reasons:
                report.invalid.append(Problem(line, " ".join(reasons), name.strip()))
                continue
            key = (entry.email_key, entry.name_key)
            near = (entry.name_key, entry.postal_code)
            if key in seen:
                report.duplicates.append(
                    Problem(line, f"repeats line {seen[key]} of this file", entry.full_name)
                )
                continue
            if key in existing_keys or (not entry.email and near in existing_near):
                report.duplicates.append(
                    Problem(line, "already signed this petition", entry.full_name)
                )
                continue
            if entry.email and households[entry.email_key] >= household_max:
                report.invalid.append(
                    Problem(
                        line,
                        f"{household_max} people have already signed with this email "
                        "address, the most one address may sign for.",
                        entry.full_name,
                    )
                )
                continue
            try:
                row = signature_row(
                    petition.id,
                    source="import",
                    created_at=created,
                    confirmed_at=created,
                    **entry.person(),
                )
            except SigningError as e:
                report.invalid.append(Problem(line, f"{e}.", entry.full_name))
                continue
            seen[key] = line
            if entry.email:
                households[entry.email_key] += 1
            report.accepted += 1
            report.rows.append(row)
    except csv.Error as e:
        report.file_errors.append(Problem(line + 1, f"not readable as CSV ({e})"))
    if report.total == 0 and not report.file_errors:
        report.file_errors.append(Problem(2, "no rows under the header"))
    return report


def import_rows(petition: Petition, report: Report) -> int:
    """Insert the report's accepted rows (one INSERT per batch, no commit). Raises
    ImportError_ when a row became a duplicate since the check (nothing is kept then:
    the caller rolls back)."""
    if not accepts_paper(petition):
        raise ImportError_("This petition is a draft: publish it before importing signatures.")
    if not report.importable:
        raise ImportError_("Nothing to import.")
    rows = report.rows
    try:
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(Signature), rows[start : start + 2000])
        people.link_unlinked()
    except IntegrityError as e:
        raise ImportError_(
            "Some of these people signed while you were importing; check the file again."
        ) from e
    return len(rows)


# --- the uploaded file, kept between the check and the import ------------------------------


def _upload_dir(instance_path: str) -> Path:
    d = Path(instance_path) / "imports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _path(instance_path: str, petition: Petition, user_id: int, token: str) -> Path:
    return _upload_dir(instance_path) / f"{petition.id}-{user_id}-{token}.csv"


def store_upload(instance_path: str, petition: Petition, user_id: int, data: bytes) -> str:
    """Keep the file under instance/imports/ with a random name; returns its token.
    Files older than a day are removed on the way."""
    cutoff = time.time() - KEEP_SECONDS
    for old in _upload_dir(instance_path).glob("*.csv"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
    token = new_token()
    _path(instance_path, petition, user_id, token).write_bytes(data)
    return token


def load_upload(instance_path: str, petition: Petition, user_id: int, token: str) -> bytes:
    """The stored file, only for the same petition and the same user who uploaded it."""
    token = (token or "").strip()
    if not is_well_formed(token) or any(c not in ALPHABET for c in token):
        raise ImportError_("That upload is unknown or expired; please upload the file again.")
    path = _path(instance_path, petition, user_id, token)
    try:
        if path.stat().st_mtime < time.time() - KEEP_SECONDS:
            raise FileNotFoundError
        return path.read_bytes()
    except OSError as e:
        raise ImportError_(
            "That upload is unknown or expired; please upload the file again."
        ) from e


def discard_upload(instance_path: str, petition: Petition, user_id: int, token: str) -> None:
    if is_well_formed(token):
        _path(instance_path, petition, user_id, token).unlink(missing_ok=True)
