"""POST /api/v1/checkins and the scanner's roster, through HTTP."""

import http.client
import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from babel.dates import format_time
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.core.tokens import new_token, token_hash
from petitions.models import Attendee, CheckIn
from petitions.models.base import utcnow
from tests.conftest import PASSWORD, USE_POSTGRES, csrf_from

URL = "/api/v1/checkins"


def nonce() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def volunteer(make_user, login):
    user = make_user("volunteer")
    user.name = "Dana"
    db.session.commit()
    return login(user)


@pytest.fixture
def post(client, csrf):
    """POST JSON as the logged-in session, with the CSRF header the scanner page sends."""
    token = {}

    def do(body, headers=None, raw=None):
        if "csrf" not in token:
            token["csrf"] = csrf("/manage/")
        h = {"X-CSRFToken": token["csrf"]}
        h.update(headers or {})
        if raw is not None:
            return client.post(URL, data=raw, headers=h, content_type="application/json")
        return client.post(URL, json=body, headers=h)

    return do


@pytest.fixture
def api_token(app, make_user, runner):
    """A bearer token made through the CLI, as an organizer would."""

    def make(role="volunteer"):
        user = make_user(role)
        result = runner.invoke(args=["api-tokens", "create", user.email, "--name", "Door 2"])
        assert result.exit_code == 0, result.output
        return user, result.output.strip().splitlines()[-1]

    return make


def count_checkins(**where) -> int:
    db.session.rollback()
    stmt = select(func.count(CheckIn.id))
    for k, v in where.items():
        stmt = stmt.where(getattr(CheckIn, k) == v)
    return db.session.scalar(stmt)


def test_ok_then_already_with_who_and_local_time(app, volunteer, post, make_event, make_attendee):
    event = make_event()
    attendee, token = make_attendee(event, "Keisha Johnson")

    first = post({"token": token, "nonce": nonce()})
    assert first.status_code == 200
    ok = first.get_json()
    assert ok["result"] == "ok" and ok["name"] == "Keisha Johnson"
    assert ok["checked_in_by"] == "Dana" and ok["checked_in_at"].endswith("Z")

    second = post({"token": token, "nonce": nonce()}).get_json()
    assert second["result"] == "already"
    assert second["checked_in_at"] == ok["checked_in_at"]
    # "already checked in at 12:04 PM by Dana", in the event's own time zone.
    at = datetime.fromisoformat(ok["checked_in_at"]).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert second["checked_in_at_local"].endswith(format_time(at, "short", locale="en"))
    assert second["message"] == f"Already checked in at {second['checked_in_at_local']} by Dana"

    db.session.refresh(attendee)
    assert attendee.checked_in_at is not None and attendee.checked_in_by_id == volunteer.id
    assert count_checkins(attendee_id=attendee.id, result="ok") == 1
    assert count_checkins(attendee_id=attendee.id, result="already") == 1
    logged = db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == attendee.id)).all()
    assert {c.user_id for c in logged} == {volunteer.id}
    assert all(c.device and c.scanned_at for c in logged)


def test_ticket_url_and_sloppy_typing_are_accepted(app, volunteer, post, make_event, make_attendee):
    event = make_event()
    _, token = make_attendee(event)
    typed = f"https://act.example.org/t/{token.lower().replace('1', 'l')}"
    assert post({"token": typed, "nonce": nonce()}).get_json()["result"] == "ok"


@pytest.mark.parametrize(
    "scanned",
    [
        lambda t: new_token(),  # well formed, never issued
        lambda t: t[:-1] + ("0" if t[-1] != "0" else "1"),  # forged: one character changed
        lambda t: "not a ticket",
        lambda t: "https://evil.example/p/" + t,
        lambda t: "",
        lambda t: "\u202e" + t + "\x00",
    ],
)
def test_unknown_and_forged_tokens_are_unknown_and_logged(
    app, volunteer, post, scanned, make_event, make_attendee
):
    event = make_event()
    _, token = make_attendee(event)
    response = post({"token": scanned(token), "nonce": nonce()})
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"] == "unknown" and body["name"] is None
    assert count_checkins(result="unknown") == 1
    assert db.session.scalar(select(Attendee.checked_in_at)) is None


def test_revoked_ticket_is_unknown(app, volunteer, post, make_event, make_attendee):
    event = make_event()
    attendee, token = make_attendee(event, revoked=True)
    body = post({"token": token, "nonce": nonce()}).get_json()
    assert body["result"] == "unknown" and body["name"] is None
    db.session.refresh(attendee)
    assert attendee.checked_in_at is None


def test_ticket_for_another_event_is_unknown_when_scanning_for_an_event(
    app, volunteer, post, make_event, make_attendee
):
    rally, other = make_event(), make_event(name="Board meeting")
    _, token = make_attendee(other)
    body = post({"token": token, "nonce": nonce(), "event": rally.slug}).get_json()
    assert body["result"] == "unknown" and body["reason"] == "other_event"
    assert (
        post({"token": token, "nonce": nonce(), "event": other.slug}).get_json()["result"] == "ok"
    )


def test_replayed_nonce_returns_the_first_answer_and_logs_once(
    app, volunteer, post, make_event, make_attendee
):
    event = make_event()
    attendee, token = make_attendee(event, "Luis Rivera")
    n = nonce()
    first = post({"token": token, "nonce": n}).get_json()
    again = post({"token": token, "nonce": n}).get_json()
    assert first["result"] == again["result"] == "ok"
    assert again["replayed"] is True and again["name"] == "Luis Rivera"
    assert again["checked_in_at"] == first["checked_in_at"]
    assert count_checkins(attendee_id=attendee.id) == 1
    # An unknown scan replays as unknown, once.
    u = nonce()
    assert post({"token": new_token(), "nonce": u}).get_json()["result"] == "unknown"
    assert post({"token": new_token(), "nonce": u}).get_json()["result"] == "unknown"
    assert count_checkins(nonce=u) == 1


def test_a_nonce_reused_for_another_ticket_is_refused_and_checks_nobody_in(
    app, volunteer, post, make_event, make_attendee
):
    event = make_event()
    first, first_token = make_attendee(event, "Ana Diaz")
    second, second_token = make_attendee(event, "Luis Rivera")
    n = nonce()
    assert post({"token": first_token, "nonce": n}).get_json()["result"] == "ok"
    refused = post({"token": second_token, "nonce": n})
    assert refused.status_code == 400 and "nonce" in refused.get_json()["error"]
    db.session.expire_all()
    assert db.session.get(type(second), second.id).checked_in_at is None
    assert count_checkins() == 1
    # Scanned again with a fresh nonce, the second ticket checks in as usual.
    assert post({"token": second_token, "nonce": nonce()}).get_json()["result"] == "ok"


def test_offline_scan_time_is_kept_and_clock_skew_is_clamped(
    app, volunteer, post, make_event, make_attendee
):
    event = make_event()
    early, t1 = make_attendee(event, "Early")
    future, t2 = make_attendee(event, "Future")
    scanned = (utcnow() - timedelta(minutes=20)).replace(microsecond=0)
    iso = scanned.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    body = post({"token": t1, "nonce": nonce(), "scanned_at": iso}).get_json()
    assert body["result"] == "ok" and body["checked_in_at"] == iso
    db.session.refresh(early)
    assert early.checked_in_at == scanned

    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    post({"token": t2, "nonce": nonce(), "scanned_at": ahead})
    db.session.refresh(future)
    assert abs(future.checked_in_at - utcnow()) < timedelta(minutes=1)


def test_check_in_by_roster_hash_for_name_search(app, volunteer, post, make_event, make_attendee):
    event = make_event()
    attendee, token = make_attendee(event, "Wei Chen")
    body = post({"token_hash": token_hash(token), "nonce": nonce()}).get_json()
    assert body["result"] == "ok" and body["name"] == "Wei Chen"


@pytest.mark.parametrize(
    "raw, message",
    [
        ("this is not json", "JSON object"),
        ("[1, 2]", "JSON object"),
        ('"token"', "JSON object"),
        ('{"token": "X"}', "nonce"),
        ('{"token": "X", "nonce": "short"}', "nonce"),
        ('{"token": "X", "nonce": "' + "n" * 65 + '"}', "nonce"),
        ('{"token": "X", "nonce": "<script>alert(1)</script>"}', "nonce"),
        ('{"token": 12, "nonce": "abcdefgh12"}', "token"),
        ('{"token": ["A"], "nonce": "abcdefgh12"}', "token"),
        ('{"nonce": "abcdefgh12"}', "either"),
        ('{"token": "A", "token_hash": "b", "nonce": "abcdefgh12"}', "either"),
        ('{"token_hash": "zz", "nonce": "abcdefgh12"}', "token_hash"),
        ('{"token": "A", "nonce": "abcdefgh12", "scanned_at": "yesterday"}', "scanned_at"),
        ('{"token": "A", "nonce": "abcdefgh12", "scanned_at": 5}', "scanned_at"),
        ('{"token": "A", "nonce": "abcdefgh12", "event": "no-such-rally"}', "event"),
        ('{"token": "A", "nonce": "abcdefgh12", "event": {"x": 1}}', "event"),
    ],
)
def test_malformed_requests_get_400_json(app, volunteer, post, raw, message):
    response = post(None, raw=raw)
    assert response.status_code == 400
    body = response.get_json()
    assert message in body["error"] and body["status"] == 400
    assert count_checkins() == 0


def test_anonymous_gets_401_json_not_a_redirect(app, client, make_event, make_attendee):
    event = make_event()
    _, token = make_attendee(event)
    response = client.post(URL, json={"token": token, "nonce": nonce()})
    assert response.status_code == 401 and response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"/api/v1/events/{event.slug}/roster").status_code == 401
    assert count_checkins() == 0


def test_session_call_without_csrf_header_is_refused(
    app, client, volunteer, make_event, make_attendee
):
    event = make_event()
    _, token = make_attendee(event)
    response = client.post(URL, json={"token": token, "nonce": nonce()})
    assert response.status_code == 400 and "error" in response.get_json()
    assert count_checkins() == 0


def test_api_token_works_without_csrf_and_revoked_token_is_refused(
    app, client, runner, api_token, make_event, make_attendee
):
    event = make_event()
    _, token = make_attendee(event)
    user, bearer = api_token()
    auth = {"Authorization": f"Bearer {bearer}"}
    body = client.post(URL, json={"token": token, "nonce": nonce()}, headers=auth).get_json()
    assert body["result"] == "ok"
    assert client.get(f"/api/v1/events/{event.slug}/roster", headers=auth).status_code == 200

    listing = runner.invoke(args=["api-tokens", "list"]).output
    assert user.email in listing and "Door 2" in listing and "active" in listing
    token_id = listing.split("\t", 1)[0]
    assert runner.invoke(args=["api-tokens", "revoke", token_id]).exit_code == 0
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).output

    refused = client.post(URL, json={"token": token, "nonce": nonce()}, headers=auth)
    assert refused.status_code == 401
    forged = {"Authorization": "Bearer pt_" + new_token(32)}
    assert (
        client.post(URL, json={"token": token, "nonce": nonce()}, headers=forged).status_code == 401
    )
    assert client.post(URL, json={}, headers={"Authorization": "Basic abc"}).status_code == 401
    assert count_checkins() == 1


def test_token_of_a_deactivated_account_is_refused(app, client, api_token):
    user, bearer = api_token()
    user.active = False
    db.session.commit()
    response = client.post(
        URL,
        json={"token": new_token(), "nonce": nonce()},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.status_code == 401


def test_deactivating_an_account_stops_its_scanner_at_once(app, api_token, make_user):
    """Token lookups are cached for a moment; deactivating the account clears that."""
    scanner, admin = app.test_client(), app.test_client()
    user, bearer = api_token()
    auth = {"Authorization": f"Bearer {bearer}"}
    assert (
        scanner.post(URL, json={"token": new_token(), "nonce": nonce()}, headers=auth).status_code
        == 200
    )
    boss = make_user("admin")
    page = admin.post(
        "/auth/login", data={"email": boss.email, "password": PASSWORD, "csrf_token": _csrf(admin)}
    )
    assert page.status_code == 302
    admin.post(
        f"/manage/users/{user.id}/active", data={"csrf_token": _csrf(admin, "/manage/users")}
    )
    assert (
        scanner.post(URL, json={"token": new_token(), "nonce": nonce()}, headers=auth).status_code
        == 401
    )


def _csrf(client, url="/auth/login"):
    return csrf_from(client.get(url).get_data(as_text=True))


def test_cli_create_for_unknown_account_fails(runner):
    result = runner.invoke(args=["api-tokens", "create", "nobody@example.org"])
    assert result.exit_code != 0 and "No account" in result.output
    assert runner.invoke(args=["api-tokens", "revoke", "999"]).exit_code != 0


def test_two_volunteers_scanning_at_the_same_instant_get_one_ok(
    app, live_server, api_token, make_event, make_attendee
):
    """Real connections to a threaded server, released together; over several tickets."""
    event = make_event()
    tickets = [make_attendee(event, f"Guest {i}")[1] for i in range(8)]
    bearers = [api_token()[1], api_token()[1]]
    port = int(live_server.rsplit(":", 1)[1])

    for token in tickets:
        barrier = threading.Barrier(2)
        results: list[str] = []

        def scan(bearer, token=token, barrier=barrier, results=results):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.connect()
            body = json.dumps({"token": token, "nonce": nonce()})
            headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
            barrier.wait()
            conn.request("POST", URL, body=body, headers=headers)
            response = conn.getresponse()
            results.append(json.loads(response.read())["result"])
            conn.close()

        threads = [threading.Thread(target=scan, args=(b,)) for b in bearers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == ["already", "ok"], results

    assert count_checkins(result="ok") == len(tickets)
    assert count_checkins(result="already") == len(tickets)
    assert db.session.scalar(select(func.count()).where(Attendee.checked_in_at.is_not(None))) == 8


def test_roster_has_names_and_state_but_no_personal_data(
    app, client, volunteer, post, make_event, make_attendee
):
    event = make_event()
    a, token = make_attendee(
        event, "Carmen Ortiz", email="carmen.ortiz@example.org", phone="860-555-0199",
        postal_code="06112", waitlist_number=4711,
    )  # fmt: skip
    make_attendee(event, "Revoked Person", revoked=True)
    make_attendee(make_event(), "Other Event Guest")
    post({"token": token, "nonce": nonce()})

    response = client.get(f"/api/v1/events/{event.slug}/roster")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    text = response.get_data(as_text=True)
    for entry in response.get_json()["attendees"]:  # hex ticket hashes may hold any digits
        text = text.replace(entry["h"], "")
    for private in ("carmen.ortiz", "example.org", "555-0199", "06112", "4711", "@"):
        assert private not in text
    body = response.get_json()
    assert body["event"]["slug"] == event.slug
    assert [r["name"] for r in body["attendees"]] == ["Carmen Ortiz"]
    entry = body["attendees"][0]
    assert entry["h"] == token_hash(token) and entry["by"] == "Dana" and entry["checked_in_at"]
    assert set(entry) == {"h", "name", "checked_in_at", "checked_in_at_local", "by"}


def test_volunteers_are_named_without_their_email(
    app, client, make_user, login, csrf, make_event, make_attendee
):
    """A volunteer without a name shows as their email's local part, never the address."""
    event = make_event()
    _, token = make_attendee(event)
    user = login(make_user("volunteer", email="sam.k@example.org"))
    r = client.post(
        URL, json={"token": token, "nonce": nonce()}, headers={"X-CSRFToken": csrf("/manage/")}
    )
    assert r.get_json()["checked_in_by"] == "sam.k" and "@" not in r.get_data(as_text=True)
    assert user.email not in client.get(f"/api/v1/events/{event.slug}/roster").get_data(
        as_text=True
    )


def test_search_by_name(app, client, volunteer, make_event, make_attendee):
    event = make_event()
    make_attendee(event, "José Santiago")
    make_attendee(event, "Emily Brown")
    make_attendee(event, "100%_literal")
    found = client.get(f"/api/v1/events/{event.slug}/search?q=santi").get_json()["attendees"]
    assert [r["name"] for r in found] == ["José Santiago"]

    def names(q):
        found = client.get(f"/api/v1/events/{event.slug}/search", query_string={"q": q})
        return [r["name"] for r in found.get_json()["attendees"]]

    # LIKE wildcards are literal characters.
    assert names("%_") == ["100%_literal"]
    assert names("_l") == ["100%_literal"]
    assert names("__") == [] and names("%%") == []
    assert client.get(f"/api/v1/events/{event.slug}/search?q=e").get_json()["attendees"] == []
    assert "@" not in client.get(f"/api/v1/events/{event.slug}/search?q=em").get_data(as_text=True)


def test_unknown_event_is_404_json(app, client, volunteer):
    response = client.get("/api/v1/events/no-such-rally/roster")
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_volunteer_cannot_export_attendees(app, client, volunteer, make_event, make_attendee):
    event = make_event()
    make_attendee(event)
    response = client.get(f"/manage/e/{event.slug}/attendees.csv")
    assert response.status_code == 403


def test_stats_and_per_scanner_rate_limit(app, client, volunteer, post, make_event, make_attendee):
    event = make_event()
    tokens = [make_attendee(event, f"Guest {i}")[1] for i in range(3)]
    app.config["RATELIMIT_CHECKIN"] = "2 per minute"
    assert post({"token": tokens[0], "nonce": nonce()}).status_code == 200
    assert post({"token": tokens[1], "nonce": nonce()}).status_code == 200
    limited = post({"token": tokens[2], "nonce": nonce()})
    assert limited.status_code == 429 and limited.get_json()["status"] == 429
    stats = client.get(f"/api/v1/events/{event.slug}/checkins/stats").get_json()
    assert stats == {"attendees": 3, "checked_in": 2}


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite's single writer")
def test_a_scan_waits_its_turn_behind_another_writer(
    app, client, api_token, make_event, make_attendee
):
    """On SQLite, while another process writes, a scan waits for the write lock (the busy
    timeout, database.py) instead of failing with "database is locked"."""
    event = make_event()
    _, token = make_attendee(event, "Keisha Johnson")
    _, bearer = api_token()
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker, in the middle of its write
    answers = []

    def scan():
        headers = {"Authorization": f"Bearer {bearer}"}
        answers.append(client.post(URL, json={"token": token, "nonce": nonce()}, headers=headers))

    worker = threading.Thread(target=scan)
    try:
        worker.start()
        worker.join(1.0)
        assert worker.is_alive() and answers == []  # waiting, nothing written yet
        assert count_checkins() == 0
    finally:
        other.execute("COMMIT")
        other.close()
    worker.join(30)
    assert answers[0].status_code == 200 and answers[0].get_json()["result"] == "ok"
    assert count_checkins(result="ok") == 1
