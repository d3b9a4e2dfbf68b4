from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware UTC now; stored naive-UTC on SQLite, timestamptz-compatible on PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)
