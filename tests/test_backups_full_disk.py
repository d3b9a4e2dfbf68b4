"""`flask --app wsgi backup -o FILE` onto a full disk: a clear error and a non-zero exit,
no traceback, and nothing left under the backup's name (nor a part of it).

The disk is a real small tmpfs, filled up (see tests/test_packets_full_disk.py: it needs
the right to mount, as root; elsewhere the tests are skipped). SQLite and PostgreSQL."""

import os
import shutil
import subprocess

import pytest

from petitions.core.extensions import db
from tests.conftest import USE_POSTGRES

if USE_POSTGRES and not shutil.which("pg_dump"):
    pytest.skip("pg_dump is not installed", allow_module_level=True)


@pytest.fixture
def disk(tmp_path):
    """A mount point with a 4 MiB tmpfs on it, for the backups."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


def fill(where, leave: int = 8 * 1024) -> None:
    """Take all of the disk's free space but `leave` bytes, in one filler file."""
    free = shutil.disk_usage(where).free
    with open(where / "filler", "ab") as f:
        f.write(b"x" * max(0, free - leave))
        f.flush()
        os.fsync(f.fileno())


def signers(make_petition, make_signature, n=300):
    petition = make_petition()
    for i in range(n):  # more than the few KiB left
        make_signature(petition, given=f"Signer{i}", email=f"s{i}@example.org", commit=False)
    db.session.commit()
    return petition


def test_a_backup_onto_a_full_disk_fails_clearly_and_leaves_nothing(
    app, runner, disk, make_petition, make_signature
):
    signers(make_petition, make_signature)
    fill(disk)
    out = disk / "backup.db"
    result = runner.invoke(args=["backup", "-o", str(out)])
    assert result.exit_code != 0
    assert "The backup could not be written: the disk holding" in result.output
    assert "is full (or refuses writes)" in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert sorted(p.name for p in disk.iterdir()) == ["filler"]  # no backup.db, no .part


def test_a_failed_backup_keeps_the_last_good_one(app, runner, disk, make_petition, make_signature):
    signers(make_petition, make_signature, n=1)
    out = disk / "backup.db"
    assert runner.invoke(args=["backup", "-o", str(out)]).exit_code == 0
    good = out.read_bytes()
    signers(make_petition, make_signature, n=300)
    fill(disk)
    result = runner.invoke(args=["backup", "-o", str(out)])
    assert result.exit_code != 0 and "is full" in result.output
    assert out.read_bytes() == good  # the old backup, whole
    assert sorted(p.name for p in disk.iterdir()) == ["backup.db", "filler"]
