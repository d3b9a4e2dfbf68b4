"""A few prebuilt statements run straight on a pooled DBAPI connection.

Only for the hottest writes, a volunteer's check-in scan and a signature: there
SQLAlchemy's per-statement machinery (execution context, result object, transaction
events) cost more than the statements themselves — about 0.45 ms of a 1.2 ms scan
(bench/results/checkin.md). Everything else goes through the ORM session (paper entry,
rally sign-ins and imports run the signature's statements on the session's connection).

Statements are written once with :named parameters; for PostgreSQL (psycopg's
%(name)s style) they are rewritten once. Datetimes go through SQLAlchemy's own DateTime
processors for the dialect, so what is stored and read back is exactly what the ORM
writes and reads. DBAPI errors come out as SQLAlchemy's exceptions.
"""

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Engine, exc

from . import database

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class Statement:
    """SQL with :named parameters; `datetimes` names the datetime parameters, `columns`
    names the result columns (rows come back as dicts), `datetime_columns` those to read
    back as datetimes."""

    def __init__(
        self,
        sql: str,
        datetimes: Sequence[str] = (),
        columns: Sequence[str] = (),
        datetime_columns: Sequence[str] = (),
    ):
        self.sql = sql
        self.datetimes = tuple(datetimes)
        self.columns = tuple(columns)
        self.datetime_columns = tuple(datetime_columns)
        self._prepared: dict[str, tuple] = {}

    def prepared(self, dialect) -> tuple:
        """(driver SQL, bind processor, result processor) for this dialect, built once."""
        got = self._prepared.get(dialect.name)
        if got is None:
            sql = self.sql
            if dialect.paramstyle == "pyformat":
                sql = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
            impl = DateTime().dialect_impl(dialect)
            got = (sql, impl.bind_processor(dialect), impl.result_processor(dialect, None))
            self._prepared[dialect.name] = got
        return got


class Transaction:
    """Runs Statements on one DBAPI connection: in one transaction, or each statement
    committing as it runs (write_transaction's autocommit)."""

    def __init__(self, dbapi_connection, dialect):
        self._conn = dbapi_connection
        self._dialect = dialect

    @classmethod
    def of_session(cls, session) -> "Transaction":
        """The ORM session's own connection, in its transaction (begun if need be)."""
        conn = session.connection()
        return cls(conn.connection.dbapi_connection, conn.dialect)

    def execute(self, stmt: Statement, params: dict[str, Any]) -> list[dict[str, Any]]:
        sql, to_db, from_db = stmt.prepared(self._dialect)
        if to_db is not None:
            params = dict(params)
            for name in stmt.datetimes:
                params[name] = to_db(params[name])
        error = self._dialect.loaded_dbapi.Error
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if stmt.columns else []
        except error as e:
            raise exc.DBAPIError.instance(sql, params, e, error) from e
        finally:
            cursor.close()
        out = [dict(zip(stmt.columns, row, strict=True)) for row in rows]
        if from_db is not None:
            for row in out:
                for name in stmt.datetime_columns:
                    row[name] = from_db(row[name])
        return out

    def first(self, stmt: Statement, params: dict[str, Any]) -> dict[str, Any] | None:
        rows = self.execute(stmt, params)
        return rows[0] if rows else None


@contextmanager
def write_transaction(db, *, autocommit: bool = False) -> Iterator[Transaction]:
    """One short write transaction on a pooled connection of Flask-SQLAlchemy's `db`,
    committed on success and rolled back on any error. On SQLite it waits its turn in the
    writers' queue, then begins IMMEDIATE (database.py).

    With autocommit, each statement commits as it runs: for a write that is one
    statement (a new signature's INSERT ... ON CONFLICT), where BEGIN and COMMIT would
    only add work (on PostgreSQL, two round trips of three)."""
    with database.writers_queue(db):
        yield from _transaction(db.engine, autocommit)


def _transaction(engine: Engine, autocommit: bool) -> Iterator[Transaction]:
    error = engine.dialect.loaded_dbapi.Error
    sqlite = engine.dialect.name == "sqlite"
    pooled = engine.raw_connection()
    raw = pooled.dbapi_connection
    try:
        if autocommit:
            if not sqlite:  # SQLite connections are in autocommit mode (database.py)
                raw.autocommit = True
            yield Transaction(raw, engine.dialect)
            return
        try:
            if sqlite:
                raw.execute("BEGIN IMMEDIATE")
            yield Transaction(raw, engine.dialect)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
    except error as e:  # BEGIN or COMMIT failed ("database is locked" after the timeout)
        raise exc.DBAPIError.instance("BEGIN/COMMIT", None, e, error) from e
    finally:
        if autocommit and not sqlite:
            raw.autocommit = False
        pooled.close()  # back to the pool
