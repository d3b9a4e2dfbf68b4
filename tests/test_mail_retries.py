"""A mail server that is down, dies mid-send or says "try later": the deliveries it did
not take stay queued, are tried again with backoff, and nobody gets a mail twice.

Real aiosmtpd servers (tests/mail_helpers.MailServer), the due-mail check driven with the
clock moved forward; on SQLite and on PostgreSQL (TEST_DB=postgres)."""

import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.mail import mailings
from petitions.models import Delivery, DeliveryStatus, Mailing, MailingStatus
from petitions.models.base import utcnow
from petitions.operations.demo import add_fake_signatures
from tests.mail_helpers import MailServer
from tests.test_updates import new_update, send


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def statuses(mailing_id: int) -> dict:
    db.session.rollback()
    return dict(
        db.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.mailing_id == mailing_id)
            .group_by(Delivery.status)
        ).all()
    )


def the_mailing() -> Mailing:
    db.session.rollback()
    return db.session.scalars(select(Mailing)).one()


def later(minutes: float) -> mailings.Clock:
    return mailings.Clock(utcnow() + timedelta(minutes=minutes))


@pytest.fixture
def server(app):
    servers = []

    def make(**kw) -> MailServer:
        s = MailServer(**kw).start()
        servers.append(s)
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=s.port)
        return s

    yield make
    for s in servers:
        s.stop()


def test_a_refused_connection_leaves_the_send_queued_and_the_page_says_so(
    app, client, organizer, make_petition, make_signature
):
    petition = make_petition()
    for name in ("ana", "bo", "cy"):
        make_signature(petition, given=name, email=f"{name}@example.org")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens
    url = new_update(client, petition)
    assert send(client, url).status_code == 303

    mailing = the_mailing()
    assert mailing.status == MailingStatus.SENDING  # not sent, not failed
    rows = db.session.scalars(select(Delivery)).all()
    assert {(d.status, d.attempts, d.error) for d in rows} == {
        (DeliveryStatus.QUEUED, 1, "the mail server could not be reached")
    }
    next_try = rows[0].next_attempt_at
    assert next_try > utcnow()

    page = client.get(url).get_data(as_text=True)
    assert "Waiting to retry" in page
    assert re.search(r"3 waiting to retry, next try at \d{1,2}:\d\d [AP]M", page)
    assert "Last error: the mail server could not be reached" in page
    assert "Errno" not in page and "ConnectionRefused" not in page and "smtplib" not in page
    progress = client.get(f"{url}/progress.json").get_json()
    assert progress["waiting"] == 3 and progress["queued"] == 3
    assert progress["next_try"] == next_try.replace(microsecond=0).isoformat() + "Z"

    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail", "resume", str(mailing.id)])
    assert result.exit_code == 0, result.output
    assert f"Mailing {mailing.id}: sending." in result.output
    assert "3 waiting to retry, next try at" in result.output
    assert "the mail server could not be reached" in result.output

    # Not due before its time: the due-mail check leaves it alone...
    assert mailings.run_due(clock=mailings.Clock()) == 0
    # ...and after it, with the server still down, it waits longer (backoff).
    assert mailings.run_due(clock=later(3)) == 1
    db.session.rollback()
    retried = db.session.scalars(select(Delivery)).all()
    assert {d.attempts for d in retried} == {2}
    assert retried[0].next_attempt_at - next_try > timedelta(minutes=3)
    assert the_mailing().status == MailingStatus.SENDING


def test_after_its_tries_a_delivery_is_failed_with_the_reason(
    app, client, organizer, make_petition, make_signature
):
    petition = make_petition()
    make_signature(petition, given="Ana", email="ana@example.org")
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_RETRY_ATTEMPTS=3)
    url = new_update(client, petition)
    send(client, url)
    mailings.run_due(clock=later(3))  # second try
    assert statuses(the_mailing().id) == {DeliveryStatus.QUEUED: 1}
    mailings.run_due(clock=later(10))  # third and last
    mailing = the_mailing()
    assert mailing.status == MailingStatus.SENT and mailing.failed == 1
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "gave up after 3 tries: the mail server could not be reached"
    page = client.get(url).get_data(as_text=True)
    assert "1 failed" in page and "gave up after 3 tries" in page


def test_try_later_for_one_address_and_no_for_another(
    app, client, organizer, make_petition, make_signature, server
):
    petition = make_petition()
    for name in ("ana", "bo", "cy"):
        make_signature(petition, given=name, email=f"{name}@example.org")
    smtp = server(
        refuse={
            "bo@example.org": "450 4.2.1 Mailbox busy, try later",
            "cy@example.org": "550 5.1.1 No such user",
        }
    )
    url = new_update(client, petition)
    send(client, url)
    mailing = the_mailing()
    by_address = {d.email: d for d in db.session.scalars(select(Delivery))}
    assert by_address["ana@example.org"].status == DeliveryStatus.SENT
    assert by_address["bo@example.org"].status == DeliveryStatus.QUEUED
    assert by_address["bo@example.org"].error == "the mail server asked us to try again later"
    assert by_address["cy@example.org"].status == DeliveryStatus.FAILED
    assert by_address["cy@example.org"].error == "the mail server refused this address"
    assert mailing.status == MailingStatus.SENDING
    smtp.refuse.clear()  # the mailbox is free again
    mailings.run_due(clock=later(3))
    assert dict(smtp.received) == {"ana@example.org": 1, "bo@example.org": 1}
    mailing = the_mailing()
    assert (mailing.status, mailing.delivered, mailing.failed) == (MailingStatus.SENT, 2, 1)


def test_a_mail_server_that_dies_halfway_through_2000_and_comes_back(
    app, client, organizer, make_petition, server
):
    petition = make_petition()
    add_fake_signatures(petition, 2000)
    db.session.commit()
    smtp = server(stop_after=1000)
    url = new_update(client, petition)
    assert send(client, url).status_code == 303  # sent inline: the request ran the send

    mailing = the_mailing()
    assert mailing.status == MailingStatus.SENDING
    assert smtp.total == 1000
    assert statuses(mailing.id) == {DeliveryStatus.SENT: 1000, DeliveryStatus.QUEUED: 1000}
    page = client.get(url).get_data(as_text=True)
    assert "1,000 of 2,000 delivered" in page and "1,000 waiting to retry" in page

    smtp.stop_after = None
    smtp.start()  # the same port again
    assert mailings.run_due(clock=later(5)) == 1
    assert len(smtp.received) == 2000
    assert set(smtp.received.values()) == {1}  # everyone exactly once
    assert set(smtp.received) == {f"signer{i}@example.org" for i in range(2000)}
    assert statuses(mailing.id) == {DeliveryStatus.SENT: 2000}
    mailing = the_mailing()
    assert (mailing.status, mailing.delivered, mailing.failed) == (MailingStatus.SENT, 2000, 0)
    assert "waiting to retry" not in client.get(url).get_data(as_text=True)


def test_on_rq_the_retry_is_scheduled_for_the_next_try(
    app, client, organizer, make_petition, make_signature, redis_url
):
    import time

    import redis
    from rq import Queue, SimpleWorker
    from rq.job import Job

    class Worker(SimpleWorker):
        def subscribe(self):
            """No command channel (RQ's pubsub thread can take a minute to stop)."""

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    try:
        petition = make_petition()
        for name in ("ana", "bo"):
            make_signature(petition, given=name, email=f"{name}@example.org")
        port = free_port()
        app.config.update(
            MAIL_JOBS_INLINE=False, REDIS_URL=redis_url, MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port, MAIL_RETRY_SECONDS=1,
        )  # fmt: skip
        url = new_update(client, petition)
        send(client, url)
        queue = Queue("mail", connection=conn)
        Worker([queue], connection=conn).work(burst=True)  # the server is down
        assert the_mailing().status == MailingStatus.SENDING
        next_try = db.session.scalar(select(func.min(Delivery.next_attempt_at)))
        registry = queue.scheduled_job_registry
        (job_id,) = registry.get_job_ids()
        job = Job.fetch(job_id, connection=conn)
        assert job.func_name == "petitions.mail.mailings.run_due"
        assert registry.get_scheduled_time(job_id).replace(tzinfo=None) == next_try.replace(
            microsecond=0
        )
        smtp = MailServer()
        smtp.port = port
        smtp.start()
        try:
            while utcnow() <= next_try:  # the worker's scheduler would wait as long
                time.sleep(0.1)
            registry.remove(job)
            queue.enqueue_job(job)  # what RQ's scheduler does at that time
            Worker([queue], connection=conn).work(burst=True)
        finally:
            smtp.stop()
        assert dict(smtp.received) == {"ana@example.org": 1, "bo@example.org": 1}
        assert the_mailing().status == MailingStatus.SENT
    finally:
        conn.flushdb()
        conn.close()
