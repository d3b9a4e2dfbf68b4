"""SQLite writers queue on a file lock beside the database (petitions.database.writers_queue)."""

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select

from petitions import database
from petitions.extensions import db
from petitions.models import Petition
from tests.conftest import USE_POSTGRES

pytestmark = pytest.mark.skipif(USE_POSTGRES, reason="the writers' queue is for SQLite")

# Another worker: it takes its place in the queue, then waits for SQLite's write lock.
OTHER_WORKER = textwrap.dedent(
    """
    import fcntl, os, sqlite3, sys
    path = sys.argv[1]
    fd = os.open(path + "-writers", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("queued", flush=True)
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE petitions SET goal = goal + 1")
    conn.execute("COMMIT")
    fcntl.flock(fd, fcntl.LOCK_UN)
    """
)


def test_a_request_holding_the_write_lock_commits_before_it_queues(app, make_petition):
    """No lock-order deadlock: a request whose session holds SQLite's write lock, entering
    the queue behind a worker that waits for that lock, lets go of the lock first."""
    petition = make_petition(goal=10)
    db.session.add(Petition(slug="second", title="Second", goal=5))
    db.session.flush()  # this session now holds SQLite's write lock
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_WORKER, db.engine.url.database],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout.readline().strip() == "queued"
        with database.writers_queue(db):
            pass  # got our turn: the other worker wrote and left the queue
        _, err = other.communicate(timeout=30)
    finally:
        other.kill()
    assert other.returncode == 0, err  # it was not left waiting out SQLite's busy timeout
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Petition.id))) == 2  # ours was committed
    assert db.session.get(Petition, petition.id).goal == 11  # and the other worker's too
