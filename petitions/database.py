"""Database engine tuning.

SQLite (the embedded default) runs in WAL mode with a busy timeout. A write
transaction that starts as a plain (deferred) BEGIN and reads before it writes
can fail at once with "database is locked" when another process wrote in
between; so every transaction opened while handling a POST begins IMMEDIATE,
taking the write lock up front and waiting its turn instead.
"""

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
