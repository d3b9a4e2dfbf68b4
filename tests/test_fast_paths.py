"""What the fast paths must keep doing, through HTTP and the services that call them:
the sign statement (petitions/petition/fast_sign.py) and the check-in claim
(petitions/rallies/fast_checkin.py). Both depart from plain ORM code; these tests pin the
rules they carry: the household limit, one row per person, the autocommit that leaves the
caller's transaction alone, exactly one "ok" per ticket and a nonce's first answer."""

import http.client
import json
import threading
import urllib.parse
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, CheckIn, Signature, User
from petitions.models.base import utcnow
from petitions.petition import signing
from tests.conftest import USE_POSTGRES, csrf_from
from tests.events_helpers import person

SIGNER = {
    "given_name": "Ana",
    "family_name": "Díaz",
    "email": "ana@example.org",
    "postal_code": "06106",
    "town": "Hartford",
}


def names(petition) -> list[str]:
    db.session.rollback()  # a fresh look, as the next request would have
    return list(
        db.session.scalars(
            select(Signature.given_name)
            .where(Signature.petition_id == petition.id)
            .order_by(Signature.id)
        )
    )


def sign_post(client, petition, **fields):
    client.get(f"/p/{petition.slug}")
    return client.post(f"/p/{petition.slug}/sign", data={**SIGNER, **fields})


def at_once(port: int, requests: list[tuple[str, str, dict]]) -> list[tuple[int, bytes, str]]:
    """Send the requests (method, path, headers+body) over real connections, released
    together by a barrier; (status, body, Location) of each, in the order given."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def send(i, method, path, spec):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.connect()
        barrier.wait()
        conn.request(method, path, body=spec["body"], headers=spec["headers"])
        answer = conn.getresponse()
        answers[i] = (answer.status, answer.read(), answer.getheader("Location") or "")
        conn.close()

    threads = [
        threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(a is not None for a in answers), answers
    return answers


def form(**fields) -> dict:
    return {
        "body": urllib.parse.urlencode({**SIGNER, **fields}),
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }


def port_of(live_server: str) -> int:
    return int(live_server.rsplit(":", 1)[1])


@pytest.fixture(autouse=True)
def _exact_counts(app):
    app.config["COUNT_CACHE_SECONDS"] = 0


# --- the sign statement: the household limit ---------------------------------------------


def test_the_household_limit_counts_names_per_email_and_petition(app, client, make_petition):
    app.config["SIGN_HOUSEHOLD_MAX"] = 2
    petition = make_petition()
    assert sign_post(client, petition, given_name="Ana", email="fam@example.org").status_code == 302
    # The same address in other case and spacing is the same household.
    assert (
        sign_post(client, petition, given_name="Luis", email=" Fam@Example.org").status_code == 302
    )
    full = sign_post(client, petition, given_name="Sofía", email="fam@example.org")
    assert full.status_code == 400
    assert "use an email address of your own" in full.get_data(as_text=True)
    assert names(petition) == ["Ana", "Luis"]
    # The limit is per petition: the same household signs another one.
    other = make_petition()
    assert sign_post(client, other, given_name="Sofía", email="fam@example.org").status_code == 302
    # It is read when signing: a raised limit lets the next name in.
    app.config["SIGN_HOUSEHOLD_MAX"] = 3
    assert (
        sign_post(client, petition, given_name="Sofía", email="fam@example.org").status_code == 302
    )
    assert names(petition) == ["Ana", "Luis", "Sofía"]


def test_paper_rows_without_an_email_are_no_household(app, client, organizer, make_petition):
    """Rows without an email share a dedupe key by postal code; the limit is not theirs."""
    app.config["SIGN_HOUSEHOLD_MAX"] = 2
    petition = make_petition()
    url = f"/manage/p/{petition.slug}/paper"
    for given in ("Ana", "Luis", "Sofía", "Mateo"):
        token = csrf_from(client.get(url).get_data(as_text=True))
        row = dict(sheet_number="7", given_name=given, family_name="Rivera", email="",
                   postal_code="06106", town="Hartford", csrf_token=token)  # fmt: skip
        assert client.post(url, data=row).status_code == 302
    assert names(petition) == ["Ana", "Luis", "Sofía", "Mateo"]


@pytest.mark.skipif(
    USE_POSTGRES,
    reason="under READ COMMITTED two signers at the same instant may both see the last "
    "place free (fast_sign._insert); SQLite's writers take turns",
)
def test_signers_racing_for_a_household_s_last_place_never_exceed_the_limit(
    app, make_petition, live_server
):
    app.config["SIGN_HOUSEHOLD_MAX"] = 3
    petition = make_petition()
    port = port_of(live_server)
    for round_no in range(3):
        email = f"race{round_no}@example.org"
        requests = [
            ("POST", f"/p/{petition.slug}/sign", form(given_name=f"Name {i}", email=email))
            for i in range(6)
        ]
        answers = at_once(port, requests)
        assert sorted(status for status, _, _ in answers) == [302] * 3 + [400] * 3, answers
    db.session.rollback()
    per_email = db.session.execute(
        select(Signature.email, func.count())
        .where(Signature.petition_id == petition.id)
        .group_by(Signature.email)
    ).all()
    assert sorted(n for _, n in per_email) == [3, 3, 3]


# --- the sign statement: duplicates -----------------------------------------------------


def test_the_same_person_twice_is_one_row_and_the_already_answer(client, make_petition):
    petition = make_petition()
    assert sign_post(client, petition).headers["Location"].startswith(f"/p/{petition.slug}/thanks/")
    again = sign_post(client, petition, given_name=" ANA ", email="Ana@Example.org ")
    assert again.status_code == 302 and again.headers["Location"] == f"/p/{petition.slug}/already"
    assert names(petition) == ["Ana"]
    # Waiting for a confirmation, the same person is sent to the pending page instead.
    waiting = make_petition(require_confirmation=True)
    assert sign_post(client, waiting).headers["Location"] == f"/p/{waiting.slug}/pending"
    assert sign_post(client, waiting).headers["Location"] == f"/p/{waiting.slug}/pending"
    assert names(waiting) == ["Ana"]


def test_the_same_person_signing_many_times_at_once_is_one_row(app, make_petition, live_server):
    petition = make_petition()
    answers = at_once(
        port_of(live_server), [("POST", f"/p/{petition.slug}/sign", form()) for _ in range(5)]
    )
    places = sorted(urllib.parse.urlsplit(where).path.split("/")[3] for _, _, where in answers)
    assert [status for status, _, _ in answers] == [302] * 5, answers
    assert places == ["already"] * 4 + ["thanks"], answers
    assert names(petition) == ["Ana"]


# --- the sign statement: alone (autocommit on PostgreSQL) ---------------------------------


def _visible_elsewhere(signature_id: int) -> bool:
    with db.engine.connect() as other:
        found = other.scalar(select(func.count()).where(Signature.id == signature_id))
    return found == 1


def _name_elsewhere(user_id: int) -> str:
    with db.engine.connect() as other:
        return other.scalar(select(User.name).where(User.id == user_id))


def _caller_with_work_in_progress(make_user):
    """A caller whose transaction holds a write of its own, flushed, not committed."""
    user = make_user("organizer")
    user.name = "Before"
    db.session.commit()
    user.name = "In progress"
    db.session.flush()
    return user


def test_a_signature_stored_alone_is_stored_at_once_and_the_caller_keeps_its_work(
    app, make_petition, make_user
):
    petition = make_petition()
    user = _caller_with_work_in_progress(make_user)
    result = signing.sign_petition(petition, alone=True, **SIGNER)
    assert result.status == signing.SignStatus.SIGNED
    # PostgreSQL: its own transaction, committed before the caller commits. SQLite: in
    # the caller's transaction, as any other write.
    assert _visible_elsewhere(result.signature_id) is USE_POSTGRES
    # The caller's transaction is still open and still its own: nothing committed it.
    assert db.session().in_transaction() and user.name == "In progress"
    assert _name_elsewhere(user.id) == "Before"
    # The new row is the session's object without a read back.
    assert result.signature.id == result.signature_id
    assert result.signature.email == "ana@example.org" and result.signature.token == result.token
    db.session.commit()
    assert _visible_elsewhere(result.signature_id)
    assert _name_elsewhere(user.id) == "In progress"


def test_a_caller_rolling_back_after_a_signature_stored_alone(app, make_petition, make_user):
    petition = make_petition()
    user = _caller_with_work_in_progress(make_user)
    result = signing.sign_petition(petition, alone=True, **SIGNER)
    db.session.rollback()
    # The caller's own write is undone; the signature stays where it was committed on
    # PostgreSQL and goes with the caller's transaction on SQLite.
    assert _name_elsewhere(user.id) == "Before"
    assert _visible_elsewhere(result.signature_id) is USE_POSTGRES


def test_the_sign_post_leaves_its_signature_stored_for_every_connection(client, make_petition):
    petition = make_petition()
    assert sign_post(client, petition).status_code == 302
    with db.engine.connect() as other:
        stored = other.scalars(
            select(Signature.email).where(Signature.petition_id == petition.id)
        ).all()
    assert stored == ["ana@example.org"]


# --- the check-in claim ---------------------------------------------------------------


@pytest.fixture
def bearers(app, make_user, runner):
    """Two volunteers' API tokens, made through the CLI."""
    out = []
    for _ in range(2):
        user = make_user("volunteer")
        result = runner.invoke(args=["api-tokens", "create", user.email, "--name", "Door"])
        assert result.exit_code == 0, result.output
        out.append(result.output.strip().splitlines()[-1])
    return out


def scan(bearer: str, token: str, nonce: str) -> tuple[str, str, dict]:
    body = json.dumps({"token": token, "nonce": nonce})
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    return ("POST", "/api/v1/checkins", {"body": body, "headers": headers})


def results(answers) -> list[dict]:
    out = []
    for status, body, _ in answers:
        assert status == 200, body
        out.append(json.loads(body))
    return out


def logged(**where) -> list[str]:
    db.session.rollback()
    stmt = select(CheckIn.result).order_by(CheckIn.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(CheckIn, k) == v)
    return list(db.session.scalars(stmt))


def test_many_scans_of_one_ticket_at_once_give_one_ok_and_each_nonce_its_first_answer(
    app, live_server, bearers, make_event, make_attendee
):
    event = make_event()
    attendee, token = make_attendee(event, "Keisha Johnson")
    port = port_of(live_server)
    nonces = [uuid.uuid4().hex for _ in range(8)]
    first = results(at_once(port, [scan(bearers[i % 2], token, n) for i, n in enumerate(nonces)]))
    assert sorted(r["result"] for r in first) == ["already"] * 7 + ["ok"], first
    assert {r["checked_in_at"] for r in first} == {first[0]["checked_in_at"]}
    assert not any(r["replayed"] for r in first)
    assert sorted(logged(attendee_id=attendee.id)) == ["already"] * 7 + ["ok"]
    # Every scan retried (a phone that lost the answer) gets what it got first, logged once.
    again = results(at_once(port, [scan(bearers[0], token, n) for n in nonces]))
    assert [r["result"] for r in again] == [r["result"] for r in first]
    assert all(r["replayed"] for r in again)
    assert len(logged(attendee_id=attendee.id)) == 8


def test_copies_of_one_scan_sent_at_once_all_get_the_first_answer(
    app, live_server, bearers, make_event, make_attendee
):
    event = make_event()
    attendee, token = make_attendee(event, "Luis Rivera")
    nonce = uuid.uuid4().hex
    answers = results(at_once(port_of(live_server), [scan(b, token, nonce) for b in bearers * 2]))
    assert [r["result"] for r in answers] == ["ok"] * 4, answers
    assert sorted(r["replayed"] for r in answers) == [False, True, True, True]
    assert logged(nonce=nonce) == ["ok"]


def test_the_poster_sign_in_and_the_scanner_claim_one_ticket_once(
    app, client, bearers, make_event, make_attendee, smtp_server
):
    """The poster's "I'm here" claims with the scanner's statement: whichever comes first
    checks the ticket in, the other way answers "already"."""
    event = make_event(starts_at=utcnow() + timedelta(minutes=10))
    here = f"/e/{event.slug}/here/{event.signin_key}"

    def scan_now(token: str) -> dict:
        method, path, spec = scan(bearers[0], token, uuid.uuid4().hex)
        answer = client.post(path, data=spec["body"], headers=spec["headers"])
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()

    def sign_in(**fields):
        client.get(here)
        answer = client.post(here, data=person(**fields))
        assert answer.status_code == 302, answer.get_data(as_text=True)
        return answer.headers["Location"]

    # Scanned at the door first, then signed in on the poster.
    ana, token = make_attendee(event, "Ana Rivera", email="ana@example.org")
    assert scan_now(token)["result"] == "ok"
    ticket_page = client.get(sign_in(email="ana@example.org")).get_data(as_text=True)
    assert "already checked in" in ticket_page
    assert logged(attendee_id=ana.id) == ["ok", "already"]

    # Signed in on the poster first (it hands out a fresh ticket), then that ticket scanned.
    luis, _ = make_attendee(event, "Luis Diaz", email="luis@example.org")
    fresh = sign_in(given_name="Luis", family_name="Diaz", email="luis@example.org")
    late = scan_now(fresh.rsplit("/t/", 1)[1])
    assert late["result"] == "already" and late["checked_in_by"] is None
    assert logged(attendee_id=luis.id) == ["ok", "already"]
    assert db.session.get(Attendee, luis.id).checked_in_at is not None
