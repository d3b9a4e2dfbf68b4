"""The site-wide suppression list: addresses no update or reminder goes to.

An address lands here when its owner unsubscribes (one click, no login), or when an
admin imports the bounces and complaints their mail provider reports. Kept by address
(normalized), so it holds across petitions and events. Nothing here commits."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from petitions.core import people, signals
from petitions.core.database import dialect_insert
from petitions.core.extensions import db
from petitions.core.text import normalize_email
from petitions.core.tokens import is_well_formed, normalize_token
from petitions.models import Delivery, Suppression
from petitions.models.base import utcnow

EMAIL_HEADERS = {"email", "email_address", "address", "e_mail", "recipient", "correo"}
MAX_IMPORT_ROWS = 500_000


def suppress(email: str, reason: str = "unsubscribed", now: datetime | None = None) -> bool:
    """Add the address (idempotent); True when it was not on the list yet."""
    key = normalize_email(email)
    if "@" not in key or len(key) > 254:
        return False
    insert = dialect_insert(Suppression.__table__).values(
        email_key=key, reason=reason[:40], created_at=now or utcnow()
    )
    result = db.session.execute(insert.on_conflict_do_nothing(index_elements=["email_key"]))
    added = bool(result.rowcount)
    if added:
        people.touch_email(key, now)  # a change an API sync (modified_date gt) must see
        if reason == "unsubscribed":  # the person's own act, not a provider's import
            signals.after_commit(signals.person_unsubscribed, email=email.strip(), reason=reason)
    return added


def is_suppressed(email: str) -> bool:
    key = normalize_email(email)
    return db.session.scalar(select(Suppression.id).where(Suppression.email_key == key)) is not None


def suppressed_among(email_keys) -> set[str]:
    """Which of these addresses (normalized keys) are on the suppression list: one query."""
    keys = {normalize_email(k) for k in email_keys if k}
    if not keys:
        return set()
    return set(
        db.session.scalars(select(Suppression.email_key).where(Suppression.email_key.in_(keys)))
    )


def delivery_by_token(token: str) -> Delivery | None:
    """The delivery an unsubscribe link belongs to; None for a made-up or mangled token."""
    token = normalize_token(token)
    if not is_well_formed(token):
        return None
    return db.session.scalars(select(Delivery).where(Delivery.unsubscribe_token == token)).first()


@dataclass
class ImportResult:
    added: int = 0
    known: int = 0
    invalid: int = 0


def import_csv(data: bytes, reason: str) -> ImportResult:
    """Addresses from a provider's export: the column named email (or address, ...), else
    the first one. Rows without an address are counted as invalid and skipped."""
    result = ImportResult()
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return result
    names = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    column = next((i for i, n in enumerate(names) if n in EMAIL_HEADERS), None)
    rows = reader
    if column is None:  # no header row: the first column holds addresses
        column = 0
        rows = iter([header, *reader])
    for n, cells in enumerate(rows):
        if n >= MAX_IMPORT_ROWS:
            break
        value = cells[column].strip() if len(cells) > column else ""
        if "@" not in value:
            result.invalid += 1
        elif suppress(value, reason):
            result.added += 1
        else:
            result.known += 1
    return result
