"""Database engine tuning.

SQLite (the embedded default) runs in WAL mode with a busy timeout. A write
transaction that starts as a plain (deferred) BEGIN and reads before it writes
can fail at once with "database is locked" when another process wrote in
between; so every transaction opened while handling a POST begins IMMEDIATE,
taking the write lock up front and waiting its turn instead.
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

sqlite_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if type(dbapi_connection).__module__.split(".")[0] not in ("sqlite3", "pysqlite2"):
        return
    # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if sqlite_write_intent.get() else "BEGIN")


# Writers wait their turn in a queue of their own on SQLite. SQLite's busy handler
# polls: a writer that finds the lock taken sleeps 1 ms, then 2, 5, ... — long next to a
# check-in that holds the lock for a tenth of that. Under load the gunicorn workers then
# spend much of their time asleep or retrying (bench/results/checkin.md). A kernel file
# lock (flock) taken before BEGIN IMMEDIATE wakes the next writer the moment the last
# one finishes. Only processes queue this way (threads of one process share the lock);
# SQLite's own locking still decides, the queue only saves the waiting.
_queues: dict[tuple[int, str], int] = {}


@contextmanager
def writers_queue(db) -> Iterator[None]:
    """Wait for the other processes' queued writes; write inside. `db` is Flask-SQLAlchemy's.

    The request's session must not hold SQLite's lock while it waits here (a writer in the
    queue could be waiting for that lock: neither would move until the busy timeout), so
    a transaction it has open is committed first."""
    engine = db.engine
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    if db.session.registry.has() and db.session().in_transaction():
        db.session.commit()
    key = (os.getpid(), path)  # a forked worker opens its own lock file description
    fd = _queues.get(key)
    if fd is None:
        fd = _queues[key] = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
