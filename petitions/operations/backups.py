"""Backups while the app serves, and restores that change nothing unless they succeed.

SQLite: the online backup API (sqlite3.Connection.backup) copies a consistent snapshot
while signers keep writing (in WAL mode a reader never blocks the writer). PostgreSQL:
`pg_dump --format=custom`, one consistent snapshot by design. The file's first bytes
say which it is.

A restore goes into an empty database (no rows in any of this app's tables; an empty
schema from `flask db upgrade` counts as empty) and refuses a non-empty one unless
forced. The file is checked before the database is touched, and the copy itself is one
transaction (SQLite's backup API writes the destination in one; pg_restore runs with
--single-transaction), so a corrupt or truncated file leaves the database as it was.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, inspect, select

from petitions.core.extensions import db
from petitions.models.base import utcnow

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Tables whose row counts a summary reports (and a test compares after a restore).
COUNTED = ("users", "petitions", "signatures", "events", "attendees", "checkins")


class BackupError(RuntimeError):
    pass


# Writes that fail because of where the file goes: full, over quota, read-only, failing.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})
SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY = 13, 10, 8
PG_DUMP_DISK_WORDS = ("No space left on device", "Disk quota exceeded", "Read-only file system")


def _disk_full(folder: Path) -> BackupError:
    return BackupError(
        f"The backup could not be written: the disk holding {folder} is full (or refuses "
        "writes). Nothing was kept under the backup's name. Free some space or choose "
        "another folder, then run it again."
    )


def _is_disk_error(error: BaseException) -> bool:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in (SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY)
    return isinstance(error, OSError) and error.errno in DISK_ERRNOS


@dataclass
class BackupSummary:
    """What a backup or restore did; one record describes it."""

    action: str  # "backup" or "restore"
    path: str
    dialect: str
    size_bytes: int
    sha256: str
    revision: str | None  # the schema's Alembic revision in the file
    counts: dict[str, int] = field(default_factory=dict)
    forced: bool = False
    finished_at: datetime = field(default_factory=utcnow)

    def describe(self) -> str:
        rows = ", ".join(f"{n} {t}" for t, n in self.counts.items())
        verb = "Backed up" if self.action == "backup" else "Restored"
        return f"{verb} {self.dialect} {'to' if self.action == 'backup' else 'from'} {self.path}: {rows}."


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dialect() -> str:
    return db.engine.dialect.name


def _file_kind(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise BackupError(f"Cannot read {path}: {e.strerror}.") from e
    if head == SQLITE_MAGIC:
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a backup made by this app (neither SQLite nor pg_dump).")


def _counts_and_revision() -> tuple[dict[str, int], str | None]:
    """Row counts and Alembic revision of the app's own database."""
    names = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        tables = db.metadata.tables
        counts = {
            t: conn.scalar(select(db.func.count()).select_from(tables[t]))
            for t in COUNTED
            if t in names
        }
        revision = None
        if "alembic_version" in names:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return counts, revision


def has_data() -> bool:
    """Any row in any of this app's tables."""
    names = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        return any(
            conn.scalar(select(exists().select_from(table)))
            for table in db.metadata.sorted_tables
            if table.name in names
        )


def _summary(action: str, path: Path, forced: bool = False) -> BackupSummary:
    counts, revision = _counts_and_revision()
    return BackupSummary(
        action=action,
        path=str(path),
        dialect=_dialect(),
        size_bytes=path.stat().st_size,
        sha256=_sha256(path),
        revision=revision,
        counts=counts,
        forced=forced,
    )


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_backup(out: Path) -> None:
    raw = db.engine.raw_connection()
    try:
        target = sqlite3.connect(out)
        try:
            raw.driver_connection.backup(target)
        finally:
            target.close()
    finally:
        raw.close()


def _sqlite_check(path: Path) -> None:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = con.execute("PRAGMA integrity_check").fetchall()
            con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error as e:
        raise BackupError(f"{path} is damaged or not a backup of this app ({e}).") from e
    if result != [("ok",)]:
        raise BackupError(f"{path} is damaged: {result[0][0]}")


def _sqlite_restore(path: Path) -> None:
    target_path = db.engine.url.database
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(target_path)
        try:
            source.backup(target)  # one transaction on the target: all of it or nothing
        finally:
            target.close()
    except sqlite3.Error as e:
        raise BackupError(f"The restore failed and changed nothing ({e}).") from e
    finally:
        source.close()


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_args() -> tuple[str, dict]:
    """A libpq URL without the password (kept out of `ps`), and the environment with it."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as e:
        raise BackupError(
            f"{args[0]} is not installed (Debian: apt-get install postgresql-client)."
        ) from e


def _pg_backup(out: Path) -> None:
    dsn, env = _pg_args()
    done = _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={out}", dsn],
        env,
    )
    if done.returncode:
        if any(words in done.stderr for words in PG_DUMP_DISK_WORDS):
            raise _disk_full(out.parent)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


def _pg_restore(path: Path) -> None:
    dsn, env = _pg_args()
    listing = _run(["pg_restore", "--list", str(path)], env)
    if listing.returncode:
        raise BackupError(f"{path} is damaged: {listing.stderr.strip()}")
    db.engine.dispose()  # no idle connection of ours in the way of the DROPs
    done = _run(
        ["pg_restore", "--single-transaction", "--exit-on-error", "--clean", "--if-exists",
         "--no-owner", "--no-privileges", f"--dbname={dsn}", str(path)],
        env,
    )  # fmt: skip
    if done.returncode:
        raise BackupError(f"The restore failed and changed nothing: {done.stderr.strip()}")


# --- the commands' services ------------------------------------------------------------------


def backup(out: str | os.PathLike) -> BackupSummary:
    """Write a consistent copy of the database to `out` (replaced only once complete)."""
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"Folder {out.parent} does not exist.")
    # Written next to its final name (the same disk, so the rename is atomic) and renamed
    # only once complete: a failed backup never leaves a file that looks like one.
    part = out.with_name(out.name + ".part")
    leftovers = [part, part.with_name(part.name + "-journal")]  # SQLite's, if it stops
    for path in leftovers:
        path.unlink(missing_ok=True)
    try:
        if _dialect() == "sqlite":
            _sqlite_backup(part)
        elif _dialect() == "postgresql":
            _pg_backup(part)
        else:
            raise BackupError(f"No backup for a {_dialect()} database.")
        os.replace(part, out)
    except (OSError, sqlite3.Error) as e:
        if _is_disk_error(e):
            raise _disk_full(out.parent) from e
        raise BackupError(f"Cannot write {out}: {e}.") from e
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
    return _summary("backup", out)


def restore(path: str | os.PathLike, force: bool = False) -> BackupSummary:
    """Replace the database by the backup at `path`; refused on a non-empty database
    unless `force`. Stop the app (and workers) first: they would hold the old data."""
    path = Path(path)
    kind = _file_kind(path)
    if kind != _dialect():
        raise BackupError(f"{path} is a {kind} backup, but the database is {_dialect()}.")
    db.session.remove()
    if not force and has_data():
        raise BackupError(
            "The database is not empty; restoring would replace its data. "
            "Give --force to do that anyway."
        )
    if kind == "sqlite":
        _sqlite_check(path)
        db.engine.dispose()
        _sqlite_restore(path)
    else:
        _pg_restore(path)
    db.engine.dispose()
    return _summary("restore", path, forced=force)
