from datetime import UTC, datetime

from sqlalchemy import String, cast, literal

# Unique values (email_key, tokens) of a row whose personal data retention removed.
REMOVED = "removed:"


def utcnow() -> datetime:
    """Timezone-aware UTC now; stored naive-UTC on SQLite, timestamptz-compatible on PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def removed(id_column) -> object:
    """A unique stand-in for a removed unique value: "removed:<id>"."""
    return literal(REMOVED) + cast(id_column, String)
