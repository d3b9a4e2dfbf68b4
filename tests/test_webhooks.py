"""Webhooks through the public surface: a real local receiver checks every message with
the standardwebhooks library; signing, RSVPs, check-ins and unsubscribes over HTTP and the
CLI make them; a 503 is retried with the same webhook-id; the CLI and the admin page."""

import json
import re
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook as Verifier

from petitions.core.extensions import db
from petitions.models import AuditEntry, Webhook, WebhookAttempt, WebhookDelivery
from petitions.models.base import utcnow
from tests.conftest import csrf_from
from tests.events_helpers import person
from tests.test_signing_flow import sign_post

WAIT = 30.0  # seconds a test waits for the threads to deliver before it fails


class Receiver:
    """An HTTP endpoint on a free local port. It answers the codes in `answers` in turn,
    then 200; every request is kept with whether its signature verified."""

    def __init__(self, delay: float = 0.0):
        self.got: list[dict] = []
        self.answers: list[int] = []
        self.secret: str | None = None
        self.delay = delay
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()}
                try:
                    data = Verifier(receiver.secret).verify(body, headers)
                    verified = True
                except Exception as e:  # noqa: BLE001  (recorded, the test looks)
                    data, verified = repr(e), False
                with receiver.lock:
                    code = receiver.answers.pop(0) if receiver.answers else 200
                    receiver.got.append(
                        {
                            "headers": headers,
                            "data": data,
                            "verified": verified,
                            "code": code,
                            "path": self.path,
                        }  # fmt: skip
                    )
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/petitions"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n: int) -> list[dict]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.got) >= n:
                    return list(self.got)
            time.sleep(0.02)
        pytest.fail(f"the receiver got {len(self.got)} of {n} messages")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def add_webhook(runner, receiver):
    def add(events=None, url=None):
        args = ["webhooks", "add", url or receiver.url]
        if events:
            args += ["--events", events]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        secret = result.output.strip().splitlines()[-1]
        assert secret.startswith("whsec_")
        receiver.secret = secret
        return secret

    return add


def deliveries() -> list[WebhookDelivery]:
    db.session.rollback()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def wait_for_status(delivery_id: int, status: str) -> WebhookDelivery:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        db.session.rollback()
        row = db.session.get(WebhookDelivery, delivery_id)
        if row is not None and row.status == status:
            return row
        time.sleep(0.02)
    pytest.fail(f"delivery {delivery_id} is not {status}")


def test_a_signature_is_delivered_signed_and_a_503_is_retried_with_the_same_id(
    app, client, runner, receiver, add_webhook, make_petition
):
    add_webhook()
    petition = make_petition()
    receiver.answers = [503]

    response = sign_post(client, petition, email="webhook-signer@example.org")
    assert response.status_code == 302

    first = receiver.wait(1)[0]
    assert first["verified"], first["data"]
    assert first["code"] == 503
    assert first["path"] == "/hooks/petitions"
    message = first["data"]
    assert message["type"] == "signature.created"
    data = message["data"]
    assert data["person"]["given_name"] == "Ana"
    assert data["person"]["email_addresses"][0] == {
        "address": "webhook-signer@example.org", "primary": True, "status": "subscribed"
    }  # fmt: skip
    assert data["identifiers"][0].startswith("petitions:")
    assert data["action_date"].endswith("Z")
    assert data["_links"]["osdi:petition"]["href"].endswith(f"/api/osdi/v1/petitions/{petition.id}")
    assert "osdi:person" in data["_links"]

    (row,) = deliveries()
    row = wait_for_status(row.id, "failed")
    assert row.attempts == 1 and row.last_status_code == 503
    assert row.last_error == "The endpoint answered 503."
    assert row.next_attempt_at > utcnow() + timedelta(seconds=5)  # the first retry: later
    assert row.next_attempt_at < utcnow() + timedelta(minutes=1)  # ...but within a minute

    # Nothing is retried before its time...
    result = runner.invoke(args=["mail", "due"])
    assert result.exit_code == 0, result.output
    time.sleep(0.3)
    assert len(receiver.got) == 1
    # ...and at its time, by the due-work check, with the same webhook-id.
    later = (utcnow() + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
    result = runner.invoke(args=["mail", "due", "--now", later])
    assert result.exit_code == 0, result.output
    second = receiver.wait(2)[1]
    assert len(receiver.got) == 2
    assert second["verified"] and second["code"] == 200
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert second["headers"]["webhook-id"].startswith("msg_")
    assert second["data"] == message  # the same bytes, signed again

    row = wait_for_status(row.id, "delivered")
    assert row.attempts == 2 and row.delivered_at is not None
    codes = db.session.scalars(
        select(WebhookAttempt.status_code).where(WebhookAttempt.delivery_id == row.id)
        .order_by(WebhookAttempt.id)
    ).all()  # fmt: skip
    assert codes == [503, 200]


def test_retries_back_off_to_about_a_day_then_give_up(app, runner, receiver, add_webhook):
    add_webhook(events="person.unsubscribed")
    receiver.answers = [500] * 20
    assert runner.invoke(args=["mail", "suppress", "gone@example.org"]).exit_code == 0
    receiver.wait(1)
    (row,) = deliveries()
    row = wait_for_status(row.id, "failed")
    waits = []
    for n in range(2, 10):
        due_at = row.next_attempt_at
        waits.append(due_at)
        at = (due_at + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
        assert runner.invoke(args=["mail", "due", "--now", at]).exit_code == 0
        receiver.wait(n)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            row = deliveries()[0]
            if row.attempts == n:
                break
            time.sleep(0.02)
        if row.status == "given_up":
            break
    assert row.status == "given_up" and row.next_attempt_at is None
    assert row.attempts == 8  # the first try and 7 retries
    ids = {m["headers"]["webhook-id"] for m in receiver.got}
    assert len(ids) == 1 and all(m["verified"] for m in receiver.got)
    total = waits[-1] - row.created_at
    assert timedelta(hours=20) < total < timedelta(hours=32)  # the last retry: about a day on


def test_rsvp_checkin_and_unsubscribe_are_delivered(
    app, client, runner, receiver, add_webhook, make_event, make_user, login, csrf
):
    add_webhook(events="attendance.created,checkin.created,person.unsubscribed")
    event = make_event()
    url = f"/e/{event.slug}"
    assert client.get(url).status_code == 200
    r = client.post(url, data=person(email="rsvp-hook@example.org"))
    assert r.status_code in (200, 302, 303)
    got = receiver.wait(1)
    assert got[0]["data"]["type"] == "attendance.created"
    attendance = got[0]["data"]["data"]
    assert attendance["status"] == "accepted" and attendance["attended"] is False
    assert attendance["person"]["email_addresses"][0]["address"] == "rsvp-hook@example.org"
    assert attendance["_links"]["osdi:event"]["href"].endswith(f"/events/{event.id}")

    # The scanner checks the ticket in (the token from the attendee's ticket link).
    from petitions.models import Attendee
    from tests.factories import make_attendee

    _, token = make_attendee(event, "Keisha Johnson")
    staff = login(make_user("volunteer"))
    assert staff is not None
    header = {"X-CSRFToken": csrf("/manage/")}
    body = {"token": token, "nonce": uuid.uuid4().hex}
    assert client.post("/api/v1/checkins", json=body, headers=header).status_code == 200
    got = receiver.wait(2)
    assert got[1]["data"]["type"] == "checkin.created"
    assert got[1]["data"]["data"]["attended"] is True
    assert got[1]["data"]["data"]["person"]["given_name"] == "Keisha"

    assert runner.invoke(args=["mail", "suppress", "rsvp-hook@example.org"]).exit_code == 0
    got = receiver.wait(3)
    assert got[2]["data"]["type"] == "person.unsubscribed"
    assert got[2]["data"]["data"]["email_addresses"][0]["status"] == "unsubscribed"
    assert all(m["verified"] for m in got)
    assert len({m["headers"]["webhook-id"] for m in got}) == 3
    assert db.session.scalar(select(Attendee.id).where(Attendee.email == "rsvp-hook@example.org"))


def test_events_a_webhook_does_not_take_are_not_sent(
    app, client, receiver, add_webhook, make_petition, make_event
):
    add_webhook(events="attendance.created")
    sign_post(client, make_petition(), email="not-sent@example.org")
    event = make_event()
    client.get(f"/e/{event.slug}")
    client.post(f"/e/{event.slug}", data=person(email="sent@example.org"))
    got = receiver.wait(1)
    time.sleep(0.3)  # what else might arrive
    assert [m["data"]["type"] for m in receiver.got] == ["attendance.created"]
    assert got[0]["verified"]


def test_a_signature_waiting_for_its_confirmation_is_sent_when_confirmed(
    app, client, receiver, add_webhook, make_petition, smtp_server
):
    add_webhook(events="signature.created")
    petition = make_petition(require_confirmation=True)
    assert sign_post(client, petition, email="later@example.org").status_code == 302
    time.sleep(0.5)
    assert receiver.got == []  # not counted yet: nothing to tell
    text = smtp_server[0].get_body(("plain",)).get_content()
    confirm_url = re.search(r"http://localhost(/s/\w+/confirm)", text).group(1)
    assert client.post(confirm_url).status_code == 302
    (msg,) = receiver.wait(1)
    assert msg["verified"] and msg["data"]["type"] == "signature.created"
    assert msg["data"]["data"]["person"]["email_addresses"][0]["address"] == "later@example.org"


def test_paper_entry_is_sent(app, client, organizer, receiver, add_webhook, make_petition):
    add_webhook(events="signature.created")
    petition = make_petition()
    url = f"/manage/p/{petition.slug}/paper"
    token = csrf_from(client.get(url).get_data(as_text=True))
    entry = {"csrf_token": token, "given_name": "Rosa", "family_name": "Paper",
             "postal_code": "06106", "email": ""}  # fmt: skip
    r = client.post(url, data=entry)
    assert r.status_code in (200, 302, 303), r.get_data(as_text=True)
    (msg,) = receiver.wait(1)
    assert msg["verified"]
    data = msg["data"]["data"]
    assert data["person"]["given_name"] == "Rosa" and data["referrer_data"]["source"] == "paper"


def test_no_webhook_no_message(app, client, make_petition):
    sign_post(client, make_petition())
    assert deliveries() == []


def test_a_dead_endpoint_is_recorded_in_plain_words(app, client, runner, receiver, make_petition):
    receiver.close()  # nothing listens on that port any more
    result = runner.invoke(args=["webhooks", "add", receiver.url])
    assert result.exit_code == 0, result.output
    response = sign_post(client, make_petition())
    assert response.status_code == 302
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not (deliveries() and deliveries()[0].attempts):
        time.sleep(0.02)
    (row,) = deliveries()
    assert row.status == "failed" and row.last_status_code is None
    assert "refused" in row.last_error


# --- safety ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "http://240.0.0.1/hook",
    ],
)
def test_private_and_loopback_endpoints_are_refused(app, runner, url):
    result = runner.invoke(args=["webhooks", "add", url])
    assert result.exit_code != 0
    assert "public addresses" in result.output
    assert db.session.scalars(select(Webhook)).all() == []


@pytest.mark.parametrize("url", ["ftp://example.org/x", "file:///etc/passwd", "not a url", ""])
def test_only_http_urls(app, runner, url):
    result = runner.invoke(args=["webhooks", "add", url])
    assert result.exit_code != 0
    assert db.session.scalars(select(Webhook)).all() == []


def test_an_endpoint_allowed_at_add_time_is_checked_again_at_delivery(
    app, client, receiver, add_webhook, make_petition
):
    add_webhook()
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False  # as if the name now pointed inside
    sign_post(client, make_petition())
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and not (deliveries() and deliveries()[0].attempts):
        time.sleep(0.02)
    (row,) = deliveries()
    assert row.status == "failed" and "public addresses" in row.last_error
    assert receiver.got == []


# --- the CLI -----------------------------------------------------------------------------


def test_cli_add_list_remove(app, runner, receiver):
    bad = runner.invoke(args=["webhooks", "add", receiver.url, "--events", "signature.deleted"])
    assert bad.exit_code != 0 and "Unknown event" in bad.output
    added = runner.invoke(args=["webhooks", "add", receiver.url, "--events", "checkin.created"])
    assert added.exit_code == 0, added.output
    hook = db.session.scalars(select(Webhook)).one()
    assert hook.events == "checkin.created"
    assert hook.secret in added.output
    listed = runner.invoke(args=["webhooks", "list"])
    assert receiver.url in listed.output and "active" in listed.output
    assert hook.secret not in listed.output  # shown only once
    removed = runner.invoke(args=["webhooks", "remove", str(hook.id)])
    assert removed.exit_code == 0
    assert "removed" in runner.invoke(args=["webhooks", "list"]).output
    assert runner.invoke(args=["webhooks", "remove", "999"]).exit_code != 0
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["webhook.add", "webhook.remove"]


def test_a_removed_webhook_gets_nothing(app, client, runner, receiver, add_webhook, make_petition):
    add_webhook()
    hook = db.session.scalars(select(Webhook)).one()
    runner.invoke(args=["webhooks", "remove", str(hook.id)])
    sign_post(client, make_petition())
    time.sleep(0.3)
    assert receiver.got == [] and deliveries() == []


# --- the admin page ----------------------------------------------------------------------


@pytest.fixture
def admin(make_user, login):
    return login(make_user("admin"))


def test_admin_adds_sees_attempts_sends_again_and_removes(
    app, client, admin, receiver, make_petition
):
    page = client.get("/manage/webhooks")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    token = csrf_from(page.get_data(as_text=True))

    refused = client.post(
        "/manage/webhooks",
        data={"csrf_token": token, "url": "ftp://x", "events": ["checkin.created"]},
    )
    assert refused.status_code == 400
    assert db.session.scalars(select(Webhook)).all() == []

    added = client.post(
        "/manage/webhooks",
        data={"csrf_token": token, "url": receiver.url, "events": ["signature.created"]},
    )
    assert added.status_code == 200
    html = added.get_data(as_text=True)
    hook = db.session.scalars(select(Webhook)).one()
    assert hook.secret in html and hook.created_by_id == admin.id
    receiver.secret = hook.secret
    assert hook.secret not in client.get("/manage/webhooks").get_data(as_text=True)

    receiver.answers = [502]
    anon = app.test_client()
    sign_post(anon, make_petition())
    receiver.wait(1)
    (row,) = deliveries()
    wait_for_status(row.id, "failed")
    show = client.get(f"/manage/webhooks/{hook.id}").get_data(as_text=True)
    assert row.message_id in show and "502" in show and "The endpoint answered 502." in show

    again = client.post(
        f"/manage/webhooks/{hook.id}/deliveries/{row.id}/again", data={"csrf_token": token}
    )
    assert again.status_code == 302
    got = receiver.wait(2)
    assert got[1]["headers"]["webhook-id"] == got[0]["headers"]["webhook-id"] == row.message_id
    assert got[1]["verified"] and got[1]["code"] == 200
    wait_for_status(row.id, "delivered")
    show = client.get(f"/manage/webhooks/{hook.id}").get_data(as_text=True)
    assert "delivered" in show

    gone = client.post(f"/manage/webhooks/{hook.id}/remove", data={"csrf_token": token})
    assert gone.status_code == 302
    db.session.refresh(hook)
    assert hook.active is False
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert "webhook.add" in actions and "webhook.remove" in actions


def test_admin_forms_need_csrf(app, client, admin, receiver):
    r = client.post("/manage/webhooks", data={"url": receiver.url, "events": ["checkin.created"]})
    assert r.status_code == 400
    assert db.session.scalars(select(Webhook)).all() == []
    runner = app.test_cli_runner()
    assert runner.invoke(args=["webhooks", "add", receiver.url]).exit_code == 0
    hook = db.session.scalars(select(Webhook)).one()
    assert client.post(f"/manage/webhooks/{hook.id}/remove").status_code == 400
    db.session.refresh(hook)
    assert hook.active


def test_admin_page_refuses_a_private_address(app, client, admin):
    token = csrf_from(client.get("/manage/webhooks").get_data(as_text=True))
    r = client.post(
        "/manage/webhooks",
        data={"csrf_token": token, "url": "http://127.0.0.1/x", "events": ["checkin.created"]},
    )
    assert r.status_code == 400
    assert "public addresses" in r.get_data(as_text=True)
    assert db.session.scalars(select(Webhook)).all() == []


@pytest.mark.parametrize("role", ["organizer", "volunteer"])
def test_only_admins(app, client, make_user, login, role):
    login(make_user(role))
    assert client.get("/manage/webhooks").status_code == 403
    assert client.get("/manage/webhooks/1").status_code == 403
    assert "/manage/webhooks" not in client.get("/manage/").get_data(as_text=True)


def test_anonymous_goes_to_login(app, client):
    r = client.get("/manage/webhooks")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_admin_nav_links_the_page(app, client, admin):
    assert "/manage/webhooks" in client.get("/manage/").get_data(as_text=True)


def test_unknown_ids_are_404(app, client, admin):
    assert client.get("/manage/webhooks/12345").status_code == 404
    assert client.get(f"/manage/webhooks/{2**40}").status_code == 404


def test_payload_is_json_with_the_standard_envelope(
    app, client, receiver, add_webhook, make_petition
):
    add_webhook(events="signature.created")
    sign_post(client, make_petition())
    (msg,) = receiver.wait(1)
    assert msg["headers"]["Content-Type"] == "application/json"
    assert int(msg["headers"]["webhook-timestamp"]) > 0
    assert msg["headers"]["webhook-signature"].startswith("v1,")
    assert set(msg["data"]) == {"type", "timestamp", "data"}
    json.dumps(msg["data"])


# --- with Redis: the RQ queue --------------------------------------------------------------


@pytest.fixture
def redis_conn(redis_url):
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def test_with_redis_messages_go_through_the_rq_queue(
    app, client, runner, receiver, add_webhook, make_petition, redis_conn, redis_url
):
    from rq import Queue, SimpleWorker
    from rq.registry import ScheduledJobRegistry

    add_webhook(events="signature.created")
    app.config["REDIS_URL"] = redis_url
    receiver.answers = [503]
    assert sign_post(client, make_petition()).status_code == 302
    queue = Queue("webhooks", connection=redis_conn)
    assert queue.count == 1  # the sign POST only queued the event
    time.sleep(0.2)
    assert receiver.got == [] and deliveries() == []

    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    (first,) = receiver.wait(1)
    assert first["verified"] and first["code"] == 503
    (row,) = deliveries()
    assert row.status == "failed"
    assert ScheduledJobRegistry(queue=queue).count == 1  # the retry, at its time

    later = (utcnow() + timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M")
    assert runner.invoke(args=["mail", "due", "--now", later]).exit_code == 0
    SimpleWorker([queue], connection=redis_conn).work(burst=True)
    second = receiver.wait(2)[1]
    assert second["verified"] and second["code"] == 200
    assert second["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    assert deliveries()[0].status == "delivered"
