"""When a dependency is away for a moment: which errors mean that, and one log line each way.

"The database is unavailable" means the server is restarting, refusing or dropping
connections, or a lock could not be had in time: errors a retry a few seconds later
cures. It is recognised from the driver's own error (its class, its SQLSTATE, SQLite's
result code), never from "any database error": a bug in a query stays a 500 with its
traceback in the log.

An outage is logged once when it starts and once when it ends (the first statement that
runs again; on SQLite, the first write), not once per request that meets it: a crowd signing through a restart
would otherwise fill the log with the same traceback."""

import logging
import sqlite3
import threading
import time

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

log = logging.getLogger("petitions.outage")

# PostgreSQL SQLSTATEs of a server that is going away, coming back or too busy to take a
# connection, and of lock_timeout; every code of class 08 (connection exception) too.
UNAVAILABLE_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown: "terminating connection due to administrator command"
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: "the database system is starting up/shutting down"
        "53300",  # too_many_connections
        "55P03",  # lock_not_available (lock_timeout)
    }
)
# SQLite's primary result codes for a lock held past the busy timeout.
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


def database_unavailable(error: BaseException) -> bool:
    """The error means the database is away or locked for now, not that the query is wrong."""
    if isinstance(error, sa_exc.TimeoutError):  # the pool had no connection free in time
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:  # the dialect saw a disconnect
        return True
    orig = error.orig
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate:
        return sqlstate in UNAVAILABLE_SQLSTATES or sqlstate.startswith("08")
    # psycopg raises OperationalError without a SQLSTATE when libpq itself fails: the
    # connection refused, reset or closed by the server.
    return _is_psycopg_operational(orig)


def _is_psycopg_operational(orig) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(orig, psycopg.OperationalError)


class Outage:
    """Whether one dependency is down in this process, so that its log says so once."""

    def __init__(self, name: str):
        self.name = name
        self._since: float | None = None
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self._since is not None

    def failed(self, error: BaseException) -> None:
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
        # The error's class and first line are enough to tell a restart from a lock.
        first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[:1]
        log.warning(
            "%s unavailable: %s: %s",
            self.name,
            type(getattr(error, "orig", None) or error).__name__,
            first_line[0] if first_line else "",
        )

    def recovered(self) -> None:
        if self._since is None:  # the usual case: no lock taken
            return
        with self._lock:
            if self._since is None:
                return
            seconds = time.monotonic() - self._since
            self._since = None
        log.warning("%s available again after %.1f s", self.name, seconds)


DATABASE = Outage("database")
REDIS = Outage("redis")
CACHE = Outage("cache")  # Flask-Caching's store: Redis with REDIS_URL


@event.listens_for(Engine, "after_cursor_execute")
def _database_answered(conn, _cursor, _statement, _parameters, context, _executemany):
    # SQLite reads go on while a writer holds the lock: only a write says it is free.
    if conn.dialect.name != "sqlite" or (
        context is not None and (context.isinsert or context.isupdate or context.isdelete)
    ):
        DATABASE.recovered()
