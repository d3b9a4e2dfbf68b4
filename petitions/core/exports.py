"""CSV exports of personal data: organizer-only, guarded against formula injection, logged."""

import csv
import io
from collections.abc import Iterable, Iterator

from petitions.core import audit
from petitions.core.extensions import db
from petitions.models import AuditAction, ExportLog

# A cell starting with one of these is run as a formula by Excel/LibreOffice/Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """Stream CSV text line by line (a BOM first, so spreadsheets read UTF-8 names right)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    yield "\ufeff" + buf.getvalue()
    for row in rows:
        buf.seek(0)
        buf.truncate()
        writer.writerow([safe_cell(v) for v in row])
        yield buf.getvalue()


def log_export(
    user, kind: str, subject: str, row_count: int, petition=None, action=AuditAction.EXPORT
) -> ExportLog:
    """Every way personal data leaves (CSV, badge sheets, ...) is listed on its dashboard
    and written to the audit log."""
    entry = ExportLog(user_id=user.id, kind=kind, subject=subject, row_count=row_count)
    db.session.add(entry)
    audit.record(
        action,
        user=user,
        object_type=kind,
        object_id=subject,
        petition=petition,
        detail=f"{row_count} rows",
    )
    return entry
