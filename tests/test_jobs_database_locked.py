"""Jobs that meet a database held locked past SQLite's busy timeout.

A send keeps its place, waits for the database, and goes on when it is back, with each
recipient getting exactly one mail; a run the database stops altogether leaves the send
to resume. A packet job goes back to the queue, not to "failed", and is drawn once the
database is back.

On a SQLite database of its own (also in the PostgreSQL pass): the lock is SQLite's."""

import json
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from petitions import create_app
from petitions.core.extensions import db
from petitions.core.outage import DATABASE
from petitions.mail import mailings
from petitions.models import Delivery, DeliveryStatus, Mailing, MailingStatus, Petition
from petitions.models.packet import PacketJob, PacketRecord
from petitions.operations.demo import add_fake_signatures
from petitions.packets import jobs
from petitions.packets.build import SCOPE_EVERYONE, PacketRequest
from petitions.updates import services as updates
from tests.conftest import _test_config
from tests.mail_helpers import MailServer
from tests.test_database_locked import HOLD_LOCK

SIGNERS = 12


@pytest.fixture
def locked_app(tmp_path, monkeypatch):
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    path = tmp_path / "mail.sqlite3"
    config = _test_config(f"sqlite:///{path}", tmp_path)
    app = create_app({**config, "SQLITE_BUSY_TIMEOUT_SECONDS": 0.2, "MAIL_LEASE_SECONDS": 60})
    with app.app_context():
        upgrade()
        petition = Petition(
            slug="seats", title="More magnet seats", summary="Seats.", body="<p>Seats.</p>",
            addressed_to="State Board of Education", goal=100, status="published",
        )  # fmt: skip
        db.session.add(petition)
        db.session.flush()
        add_fake_signatures(petition, SIGNERS)
        update = updates.create_update(petition, updates.UpdateData("Hi", "News"))
        mailing_id = updates.send_update(update).id
        db.session.commit()
        yield app, path, mailing_id
        db.session.remove()
        db.engine.dispose()


class Holder:
    """Another process holding the database's write lock until released."""

    def __init__(self, path):
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "locked"

    def release(self):
        self.process.stdin.close()
        self.process.wait(10)
        self.process.stdout.close()


def in_thread(app, target, *args):
    result = {}

    def work():
        with app.app_context():
            try:
                result["value"] = target(*args)
            except BaseException as e:
                result["error"] = e
            finally:
                db.session.remove()

    thread = threading.Thread(target=work)
    thread.start()
    return thread, result


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "it never happened"
        time.sleep(0.05)


def everyone() -> set[str]:
    return {f"signer{i}@example.org" for i in range(SIGNERS)}


def test_a_send_that_meets_a_locked_database_waits_and_sends_each_once(locked_app, caplog):
    app, path, mailing_id = locked_app
    DATABASE.recovered()  # whatever an earlier test left
    holders = []

    def lock_after_the_fifth(server):  # taken, and its mark is what the lock will block
        if server.total == 5 and not holders:
            holders.append(Holder(path))

    smtp = MailServer(on_message=lock_after_the_fifth).start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    try:
        thread, result = in_thread(app, mailings.run, mailing_id)
        wait_for(lambda: DATABASE.down)  # the send met the lock past the busy timeout
        assert smtp.total == 5  # and waits: nothing more goes out meanwhile
        holders[0].release()
        thread.join(60)
    finally:
        smtp.stop()
        for h in holders:
            if h.process.poll() is None:
                h.release()
    assert result.get("value") == MailingStatus.SENT, result
    assert smtp.received == Counter({address: 1 for address in everyone()})
    db.session.rollback()
    assert set(db.session.scalars(select(Delivery.status))) == {DeliveryStatus.SENT}
    assert "database unavailable" in caplog.text


def test_a_run_the_database_stops_leaves_the_send_to_resume(locked_app):
    app, path, mailing_id = locked_app
    smtp = MailServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    try:
        holder = Holder(path)  # before the worker could take the send
        with pytest.raises(OperationalError):
            mailings.run(mailing_id)
        db.session.rollback()
        holder.release()
        assert smtp.total == 0
        mailing = db.session.get(Mailing, mailing_id)
        assert mailing.status == MailingStatus.SCHEDULED  # not failed: still to send
        assert mailings.run_due() == 1
    finally:
        smtp.stop()
    assert smtp.received == Counter({address: 1 for address in everyone()})
    db.session.rollback()
    assert db.session.get(Mailing, mailing_id).status == MailingStatus.SENT


def test_a_packet_job_that_meets_a_locked_database_waits_and_is_drawn(locked_app, caplog):
    app, path, _mailing_id = locked_app
    app.config.update(PACKET_DB_RETRY_SECONDS=0.2, PACKET_DB_RETRIES=50)
    DATABASE.recovered()
    petition = db.session.scalars(select(Petition)).one()
    job = PacketJob(
        petition_id=petition.id,
        params=json.dumps(PacketRequest(scope=SCOPE_EVERYONE).as_dict()),
        status="queued",
        backend="thread",
        message="Waiting for a worker…",
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    holder = Holder(path)
    try:
        thread, result = in_thread(app, jobs.run_packet_job, job_id)
        wait_for(lambda: DATABASE.down)
        db.session.rollback()
        job = db.session.get(PacketJob, job_id)
        assert job.status == "queued"  # not failed
        db.session.rollback()
    finally:
        holder.release()
    thread.join(60)
    assert result.get("value") == "done", result
    db.session.rollback()
    job = db.session.get(PacketJob, job_id)
    assert (job.status, job.message) == ("done", "Ready.")
    record = db.session.get(PacketRecord, job.record_id)
    assert record.signature_count == SIGNERS
    assert "database unavailable" in caplog.text
