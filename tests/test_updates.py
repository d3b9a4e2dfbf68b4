"""Updates to signers, through HTTP and the CLI, with a real SMTP server (aiosmtpd)."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.mail import mailings
from petitions.models import (
    AuditEntry,
    Delivery,
    DeliveryStatus,
    Mailing,
    Suppression,
    Update,
)
from petitions.models.base import utcnow
from tests.conftest import csrf_from
from tests.mail_helpers import addressee


def new_update(client, petition, **fields):
    url = f"/manage/p/{petition.slug}/updates/new"
    data = {
        "csrf_token": csrf_from(client.get(url).get_data(as_text=True)),
        "subject": "We delivered the petition",
        "body": "Today we handed 1,200 signatures to the Board.",
        "subject_es": "Entregamos la petición",
        "body_es": "Hoy entregamos 1.200 firmas a la Junta.",
        "audience": "signers",
    }
    data.update(fields)
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def send(client, update_url, **fields):
    page = client.get(update_url).get_data(as_text=True)
    token = csrf_from(page)
    return client.post(f"{update_url}/send", data={"csrf_token": token, **fields})


def by_recipient(received) -> dict:
    return {addressee(m): m for m in received}


@pytest.fixture
def signers(make_petition, make_signature):
    petition = make_petition()
    make_signature(petition, given="Ana", email="ana@example.org", language="es", opt_in=True)
    make_signature(petition, given="Bo", email="bo@example.org", language="en")
    make_signature(petition, given="Hid", email="hidden@example.org", hidden=True, opt_in=True)
    make_signature(petition, given="Un", email="unconfirmed@example.org", confirmed=False)
    make_signature(petition, given="Pa", email="", source="paper", opt_in=True)
    return petition


def test_each_signer_gets_the_update_in_their_language(client, organizer, signers, smtp_server):
    url = new_update(client, signers)
    response = send(client, url)
    assert response.status_code == 303
    mail = by_recipient(smtp_server)
    assert set(mail) == {"ana@example.org", "bo@example.org"}
    ana, bo = mail["ana@example.org"], mail["bo@example.org"]
    assert ana["Subject"] == "Entregamos la petición"
    assert ana["Content-Language"] == "es"
    assert "Hoy entregamos 1.200 firmas" in ana.get_body(("plain",)).get_content()
    assert "Cancelar la suscripción" in ana.get_body(("html",)).get_content()
    assert bo["Subject"] == "We delivered the petition"
    assert "Today we handed" in bo.get_body(("plain",)).get_content()
    for msg in (ana, bo):
        assert msg["Message-ID"] and msg["Date"]
        unsubscribe = re.fullmatch(r"<(https?://[^>]+/u/[0-9A-Z]{26})>", msg["List-Unsubscribe"])
        assert unsubscribe, msg["List-Unsubscribe"]
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "@example.org" not in unsubscribe.group(1)  # the token says nothing of the address
        html = msg.get_body(("html",)).get_content()
        assert unsubscribe.group(1).split("/u/")[1] in html  # a visible link too
        assert "<img" not in html  # no tracking pixels
    page = client.get(url).get_data(as_text=True)
    assert "2 of 2 delivered" in page


def test_opted_in_audience_only_reaches_those_who_asked(client, organizer, signers, smtp_server):
    send(client, new_update(client, signers, audience="opted_in"))
    assert [addressee(m) for m in smtp_server] == ["ana@example.org"]


def test_a_double_clicked_send_sends_once(client, organizer, signers, smtp_server):
    url = new_update(client, signers)
    send(client, url)
    send(client, url)
    assert len(smtp_server) == 2
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 1
    # The send is in the audit log once: who, which update, audience and recipients.
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update.send"))
    assert entry.user_id == organizer.id and entry.petition_id == signers.id
    assert entry.detail.startswith("signers: 2 recipients")


def test_an_empty_audience_says_so_and_sends_nothing(
    client, organizer, make_petition, make_signature, smtp_server
):
    petition = make_petition()
    make_signature(petition, email="no@example.org", opt_in=False)
    url = new_update(client, petition, audience="opted_in")
    response = send(client, url)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nobody in this audience" in page
    assert smtp_server == []
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 0


def test_a_schedule_in_the_past_is_refused(client, organizer, signers, smtp_server):
    url = new_update(client, signers)
    response = send(client, url, send_date="2020-01-01", send_time="10:00")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "in the past" in page
    assert smtp_server == []


def test_a_scheduled_update_goes_out_at_its_time(client, organizer, signers, smtp_server):
    url = new_update(client, signers)
    later = utcnow() + timedelta(days=3)
    send(client, url, send_date=later.strftime("%Y-%m-%d"), send_time="10:00")
    assert smtp_server == []
    db.session.rollback()
    mailing = db.session.scalars(select(Mailing)).one()
    assert mailing.status == "scheduled"
    mailings.run_due(clock=mailings.Clock(mailing.scheduled_at - timedelta(minutes=1)))
    assert smtp_server == []
    mailings.run_due(clock=mailings.Clock(mailing.scheduled_at + timedelta(minutes=1)))
    assert len(smtp_server) == 2


def test_one_click_unsubscribe_and_the_next_send_skips_the_address(
    client, organizer, signers, smtp_server, app
):
    send(client, new_update(client, signers))
    link = by_recipient(smtp_server)["bo@example.org"]["List-Unsubscribe"].strip("<>")
    path = "/u/" + link.split("/u/")[1]
    # What a mail provider sends (RFC 8058): no cookie, no CSRF token, and maybe from the
    # webmail's own site (which every other form of this site refuses).
    provider = app.test_client()
    response = provider.post(
        path, data={"List-Unsubscribe": "One-Click"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(Suppression.email_key)) == "bo@example.org"
    # A replayed link: the same clear answer.
    again = provider.post(path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200 and "unsubscribed" in again.get_data(as_text=True)
    smtp_server.clear()
    send(client, new_update(client, signers, subject="Second news"))
    assert [addressee(m) for m in smtp_server] == ["ana@example.org"]


def test_the_unsubscribe_link_asks_before_acting_on_get(client, organizer, signers, smtp_server):
    send(client, new_update(client, signers))
    link = by_recipient(smtp_server)["ana@example.org"]["List-Unsubscribe"].strip("<>")
    page = client.get("/u/" + link.split("/u/")[1])
    assert page.status_code == 200 and '<form method="post"' in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0


@pytest.mark.parametrize("token", ["0" * 26, "not-a-token", "X" * 300, "%00"])
def test_a_forged_unsubscribe_token_gets_a_clear_page(client, token):
    for response in (client.get(f"/u/{token}"), client.post(f"/u/{token}")):
        assert response.status_code == 404
        assert "This unsubscribe link is not valid" in response.get_data(as_text=True)


def test_update_markup_is_sanitized(client, organizer, signers, smtp_server):
    url = new_update(
        client, signers, body='<p onclick="x()">Hi <script>alert(1)</script><b>all</b></p>'
    )
    update = db.session.scalars(select(Update)).one()
    assert "<script>" not in update.body and "onclick" not in update.body
    assert "<b>all</b>" in update.body
    preview = client.get(f"{url}/preview/en").get_data(as_text=True)
    assert "<script>alert" not in preview


def test_preview_in_each_language_and_a_test_to_yourself(client, organizer, signers, smtp_server):
    url = new_update(client, signers)
    assert "Entregamos la petición" in client.get(f"{url}/preview/es").get_data(as_text=True)
    assert "We delivered" in client.get(f"{url}/preview/en").get_data(as_text=True)
    assert client.get(f"{url}/preview/fr").status_code == 404
    token = csrf_from(client.get(url).get_data(as_text=True))
    client.post(f"{url}/test", data={"csrf_token": token, "language": "es"})
    assert [addressee(m) for m in smtp_server] == [organizer.email]
    assert smtp_server[0]["Subject"] == "[Test] Entregamos la petición"
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 0


def test_published_update_shows_on_the_petition_page(client, organizer, signers, smtp_server):
    send(client, new_update(client, signers, published="y"))
    page = client.get(f"/es/p/{signers.slug}").get_data(as_text=True)
    assert "Actualizaciones" in page and "Entregamos la petición" in page


def test_the_send_is_recorded(client, organizer, signers, smtp_server):
    url = new_update(client, signers)
    send(client, url)
    listing = client.get(f"/manage/p/{signers.slug}/updates/").get_data(as_text=True)
    assert organizer.email in listing
    db.session.rollback()
    mailing = db.session.scalars(select(Mailing)).one()
    assert (mailing.recipients, mailing.delivered, mailing.failed) == (2, 2, 0)
    assert mailing.sent_by_id == organizer.id and mailing.audience == "signers"
    assert mailing.started_at and mailing.finished_at


def test_volunteers_get_403_and_visitors_the_login(client, make_user, login, signers):
    urls = [
        f"/manage/p/{signers.slug}/updates/",
        f"/manage/p/{signers.slug}/updates/new",
        "/manage/suppressions",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(make_user("volunteer"))
    for url in urls:
        assert client.get(url).status_code == 403


class Killed(BaseException):
    """The worker process dying mid-send (kill -9): nothing after it runs."""


class DyingClock(mailings.Clock):
    """Dies when the sender waits for its n-th message slot."""

    def __init__(self, after: int):
        super().__init__()
        self.left = after

    def sleep(self, seconds):
        self.left -= 1
        if self.left == 0:
            raise Killed

    def monotonic(self):
        return 0.0  # every message waits for its slot, so sleep is called for each


def test_a_restart_after_a_kill_resumes_without_double_sends(
    app, runner, make_petition, make_signature, smtp_server
):
    petition = make_petition()
    for i in range(12):
        make_signature(petition, given=f"P{i}", email=f"p{i}@example.org")
    result = runner.invoke(
        args=["updates", "send", petition.slug, "--subject", "Hi", "--body", "News",
              "--audience", "signers", "--yes"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(smtp_server) == 12
    smtp_server.clear()
    # A second update, whose worker dies after five messages.
    from petitions.updates import services as updates

    update = updates.create_update(petition, updates.UpdateData("Again", "More news"))
    mailing_id = updates.send_update(update).id
    db.session.commit()
    app.config["MAIL_RATE_PER_SECOND"] = 1000
    with pytest.raises(Killed):
        mailings.run(mailing_id, DyingClock(after=5))
    db.session.rollback()
    assert len(smtp_server) == 5
    # Another worker must not take the send while the dead one's lease runs...
    assert mailings.run(mailing_id) == "sending"
    assert len(smtp_server) == 5
    # ...and once it ran out (or an operator says the worker is dead), it resumes.
    result = runner.invoke(args=["mail", "resume", str(mailing_id), "--force"])
    assert result.exit_code == 0, result.output
    recipients = sorted(addressee(m) for m in smtp_server)
    assert recipients == sorted(f"p{i}@example.org" for i in range(12))
    db.session.rollback()
    statuses = db.session.scalars(
        select(Delivery.status).where(Delivery.mailing_id == mailing_id)
    ).all()
    assert statuses == [DeliveryStatus.SENT] * 12


def test_cli_refuses_an_empty_audience(runner, make_petition):
    petition = make_petition()
    result = runner.invoke(
        args=["updates", "send", petition.slug, "--subject", "Hi", "--body", "News",
              "--audience", "opted_in", "--yes"]
    )  # fmt: skip
    assert result.exit_code != 0 and "Nobody in this audience" in result.output


def test_admins_import_and_export_suppressions(client, make_user, login, signers, smtp_server):
    login(make_user("admin"))
    page = client.get("/manage/suppressions").get_data(as_text=True)
    data = b"Email,Type\nbo@example.org,bounce\nnot an address,x\nBO@example.org,dup\n"
    response = client.post(
        "/manage/suppressions",
        data={
            "csrf_token": csrf_from(page),
            "reason": "bounced",
            "file": (io.BytesIO(data), "b.csv"),
        },
    )
    assert response.status_code == 302
    export = client.get("/manage/suppressions.csv").get_data(as_text=True)
    assert "bo@example.org,bounced" in export
    send(client, new_update(client, signers))
    assert [addressee(m) for m in smtp_server] == ["ana@example.org"]


@pytest.fixture
def redis_conn(redis_url):
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def test_with_redis_the_send_runs_on_an_rq_worker(
    client, organizer, signers, smtp_server, app, redis_conn, redis_url
):
    from rq import Queue, SimpleWorker

    app.config.update(MAIL_JOBS_INLINE=False, REDIS_URL=redis_url)
    url = new_update(client, signers)
    send(client, url)
    assert smtp_server == []  # nothing goes out until a worker runs it
    queue = Queue("mail", connection=redis_conn)
    assert queue.count == 1
    send(client, url)  # a second click queues nothing more
    assert queue.count == 1
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    assert sorted(addressee(m) for m in smtp_server) == ["ana@example.org", "bo@example.org"]
    progress = client.get(f"{url}/progress.json").get_json()
    assert progress["status"] == "sent" and progress["sent"] == 2 and progress["percent"] == 100


def test_a_delivered_petition_says_so_and_offers_a_ready_made_update(
    client, organizer, signers, smtp_server
):
    base = f"/manage/p/{signers.slug}/packets"
    token = csrf_from(client.get(base).get_data(as_text=True))
    client.post(f"{base}/delivered", data={"csrf_token": token, "delivered": "1", "note": ""})
    page = client.get(f"/es/p/{signers.slug}").get_data(as_text=True)
    assert "Entregada el" in page and "State Board of Education" in page
    listing = client.get(f"/manage/p/{signers.slug}/updates/").get_data(as_text=True)
    assert "ready-made update" in listing
    form = client.get(f"/manage/p/{signers.slug}/updates/new?from=delivered").get_data(as_text=True)
    assert "We delivered the petition" in form and "3 signatures to State Board" in form
    assert "Entregamos la petición" in form
    assert re.search(
        r'<input checked id="audience-0" name="audience" required type="radio" value="signers"',
        form,
    )
