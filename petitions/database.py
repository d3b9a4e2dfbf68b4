"""Database engine tuning, in engine events: views and services never see it.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so readers never
wait for the writer and a writer waits its turn instead of failing. A transaction that
begins deferred and reads before it writes can still fail at once with "database is
locked" when another process wrote in between (SQLite cannot upgrade its read snapshot);
so while a request that may change data is handled (any method but GET, HEAD, OPTIONS),
transactions begin IMMEDIATE: they take the write lock first and wait for it. Pages
that only read keep plain, concurrent read transactions, and so does a long read inside a
POST that asks for it with the execution option `read_only=True` (a packet being drawn
must not hold the lock that signers need).
"""

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.split(".")[0] in ("sqlite3", "pysqlite2")


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, _record):
    if not _is_sqlite(dbapi_connection):
        return
    # pysqlite's own implicit BEGIN is turned off: the "begin" hook below issues it.
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
    writing = (
        has_request_context()
        and request.method not in READ_ONLY_METHODS
        and not conn.get_execution_options().get("read_only")
    )
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
