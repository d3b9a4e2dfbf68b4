"""SQLite tuning in database.py's engine events, seen from another connection and from
another process."""

import fcntl
import multiprocessing
import os
import sqlite3
import threading

import pytest
from sqlalchemy import select, update

from petitions.core.extensions import db
from petitions.models import Petition
from tests.conftest import USE_POSTGRES

pytestmark = pytest.mark.skipif(USE_POSTGRES, reason="SQLite's single writer")


def _another_writer_can_begin() -> bool:
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


def _write_elsewhere(title: str) -> None:
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("UPDATE petitions SET title = ?", (title,))
    other.close()


def test_wal_mode_and_busy_timeout(app):
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_reads_leave_the_lock_to_writers_and_the_first_write_takes_it(app, make_petition):
    petition = make_petition()
    db.session.commit()
    with app.test_request_context("/", method="POST"):
        db.session.scalars(select(Petition)).all()
        assert _another_writer_can_begin() is True  # a read holds nothing
        db.session.execute(update(Petition).values(title="Changed"))
        assert _another_writer_can_begin() is False  # the write holds the lock to commit
        db.session.commit()
        assert _another_writer_can_begin() is True
    assert db.session.get(Petition, petition.id).title == "Changed"


def test_a_write_after_another_process_wrote_never_fails_half_way(app, make_petition):
    """A transaction that began as a reader could not write after another process did
    ("database is locked" at once, no busy wait): the write lock is taken IMMEDIATE."""
    make_petition()
    db.session.commit()
    with app.test_request_context("/", method="POST"):
        db.session.scalars(select(Petition)).all()
        _write_elsewhere("From another worker")
        db.session.execute(update(Petition).values(title="From this request"))
        db.session.commit()
    titles = db.session.scalars(select(Petition.title)).all()
    assert titles == ["From this request"]


def test_read_only_work_sees_one_snapshot_and_blocks_no_writer(app, make_petition):
    """A packet plans its pages from counts taken before its rows are read."""
    make_petition(title="Before")
    db.session.commit()
    db.session.connection(execution_options={"read_only": True})
    assert db.session.scalars(select(Petition.title)).all() == ["Before"]
    assert _another_writer_can_begin() is True
    _write_elsewhere("After")
    db.session.expire_all()
    assert db.session.scalars(select(Petition.title)).all() == ["Before"]
    db.session.rollback()
    assert db.session.scalars(select(Petition.title)).all() == ["After"]


def _hold_the_writers_queue(path: str, holding, release) -> None:
    fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    holding.set()
    release.wait(30)
    fcntl.flock(fd, fcntl.LOCK_UN)


def test_writers_of_other_processes_queue_before_sqlite_s_lock(app, make_petition):
    """While another worker holds the writers' queue, a write here waits for it, holding
    nothing SQLite readers or that worker need; reads go on."""
    make_petition()
    db.session.commit()
    ctx = multiprocessing.get_context("fork")
    holding, release = ctx.Event(), ctx.Event()
    worker = ctx.Process(
        target=_hold_the_writers_queue, args=(db.engine.url.database, holding, release)
    )
    worker.start()
    done = []

    def write():
        with app.app_context():
            db.session.execute(update(Petition).values(title="Queued"))
            db.session.commit()
            done.append(True)

    writer = threading.Thread(target=write)
    try:
        assert holding.wait(10)
        writer.start()
        writer.join(0.5)
        assert writer.is_alive() and not done  # waiting in the queue
        assert _another_writer_can_begin() is True  # ... not holding SQLite's lock
        assert db.session.scalars(select(Petition.title)).all() != ["Queued"]
    finally:
        release.set()
        worker.join(10)
    writer.join(10)
    assert done == [True]
    db.session.rollback()
    assert db.session.scalars(select(Petition.title)).all() == ["Queued"]
