"""Database engine tuning, in engine events: views and services never see it.

SQLite (the embedded default) runs in WAL mode with a busy timeout: readers never wait
for the writer, and a writer waits its turn instead of failing. Reads run outside any
transaction, and the driver (sqlite3) begins one with `BEGIN IMMEDIATE` just before a
transaction's first INSERT, UPDATE or DELETE. Taking the write lock at the first write,
not at the first read, keeps the lock for the few statements that write instead of the
whole request; taking it IMMEDIATE means a transaction never starts as a reader and fails
half-way with "database is locked" when it writes after another process did. A long read
that must see one snapshot (a packet being drawn) asks for the execution option
`read_only=True`: it gets a plain BEGIN, a read transaction that never blocks writers.

Writers of different processes (gunicorn workers) also queue on a file lock beside the
database, taken just before that first write and let go when the connection goes back
to the pool. SQLite's own busy handler polls, sleeping a millisecond or more each time it
finds the lock taken, far longer than a signature holds it; the file lock wakes the next
writer as soon as the last one is done. Threads of one process (mail and webhook senders
beside a request) share that process's lock file, and a file lock is held by the file, not
by a thread: so a writer first takes its process's own lock, then the file lock, and lets
go of both together. SQLite's locking still decides; the queue only saves the sleeping. A writer that still finds the lock taken after
SQLITE_BUSY_TIMEOUT_SECONDS fails with "database is locked", which the app answers with a
503 (petitions/core/outage.py).

PostgreSQL connections are pinged as they leave the pool (`pool_pre_ping`): after a
restart, the pool's dead connections are replaced instead of failing the first request
that draws each one.
"""

import fcntl
import os
import threading

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from petitions.core.extensions import db

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def dialect_insert(table: Table, dialect_name: str | None = None):
    """INSERT for this database (the session's when `dialect_name` is None), which has
    ON CONFLICT DO NOTHING / DO UPDATE: the dialects the app runs on."""
    if dialect_name is None:
        dialect_name = db.session.get_bind().dialect.name
    return _INSERTS[dialect_name](table)


_QUEUED = "sqlite_writers_queue"
_queue_files: dict[tuple[int, str], tuple[int, threading.Lock]] = {}
_queue_files_lock = threading.Lock()
_IN_PROCESS_WAIT = 10.0  # seconds


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.split(".")[0] in ("sqlite3", "pysqlite2")


def engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with this module's tuning (what the config sets wins)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # sqlite3's timeout is SQLite's busy timeout; no ping: a file does not go away.
        connect_args = {"timeout": float(config["SQLITE_BUSY_TIMEOUT_SECONDS"])}
        options["connect_args"] = connect_args | options.get("connect_args", {})
    else:
        options.setdefault("pool_pre_ping", True)
    return options


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = "IMMEDIATE"  # the BEGIN sqlite3 emits before a write
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn):
    if conn.dialect.name == "sqlite" and conn.get_execution_options().get("read_only"):
        conn.exec_driver_sql("BEGIN")


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_queue_for_write(conn, cursor, statement, parameters, context, executemany):
    if conn.dialect.name != "sqlite" or context is None or conn.info.get(_QUEUED):
        return
    if not (context.isinsert or context.isupdate or context.isdelete):
        return
    if cursor.connection.in_transaction:  # already writing (or a read_only snapshot)
        return
    queue = _queue_file(conn.engine.url.database)
    if queue is not None:
        fd, in_process = queue
        # This process's other threads first (a thread already writing on another of its
        # connections does not wait for itself for ever: SQLite's busy timeout decides).
        held = in_process.acquire(timeout=_IN_PROCESS_WAIT)
        fcntl.flock(fd, fcntl.LOCK_EX)  # then the other processes
        conn.info[_QUEUED] = (fd, in_process if held else None)


@event.listens_for(Pool, "checkin")
def _sqlite_leave_queue(_dbapi_connection, record):
    # After the pool's rollback on return: this connection holds no SQLite lock now.
    queue = record.info.pop(_QUEUED, None)
    if queue is not None:
        fd, in_process = queue
        fcntl.flock(fd, fcntl.LOCK_UN)
        if in_process is not None:
            in_process.release()


def _queue_file(path: str | None) -> tuple[int, threading.Lock] | None:
    if not path or path == ":memory:":
        return None
    key = (os.getpid(), path)  # a forked worker opens a lock file description of its own
    queue = _queue_files.get(key)
    if queue is None:
        with _queue_files_lock:
            queue = _queue_files.get(key)
            if queue is None:
                fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)
                queue = _queue_files[key] = (fd, threading.Lock())
    return queue
