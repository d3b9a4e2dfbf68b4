"""SQLite tuning in database.py's engine events, seen from another connection."""

import sqlite3

import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Petition
from tests.conftest import USE_POSTGRES

pytestmark = pytest.mark.skipif(USE_POSTGRES, reason="SQLite's single writer")


def _another_writer_can_begin(app) -> bool:
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as e:
        assert "locked" in str(e)
        return False
    finally:
        other.close()


def _read_in(app, method: str, **options) -> bool:
    """Whether another writer could begin while a request with this method reads."""
    db.session.close()
    with app.test_request_context("/", method=method):
        if options:
            db.session.connection(execution_options=options)
        db.session.scalars(select(Petition)).all()
        try:
            return _another_writer_can_begin(app)
        finally:
            db.session.rollback()


def test_wal_mode_and_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_request_that_may_write_takes_the_write_lock_at_begin(app):
    """So it never fails half-way with "database is locked" when it reads, then writes."""
    assert _read_in(app, "POST") is False
    assert _read_in(app, "DELETE") is False


def test_reading_pages_and_read_only_work_leave_the_lock_to_writers(app):
    assert _read_in(app, "GET") is True
    assert _read_in(app, "POST", read_only=True) is True  # e.g. a packet being drawn
    db.session.scalars(select(Petition)).all()  # outside a request (CLI, jobs): deferred
    assert _another_writer_can_begin(app) is True
    db.session.rollback()
