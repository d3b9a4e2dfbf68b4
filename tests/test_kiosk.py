"""The welcome-table kiosk: its pages, and the sync that stores each entry once."""

import http.cookiejar
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, AuditEntry, CheckIn, KioskEntry, Signature
from petitions.models.base import utcnow
from tests.conftest import PASSWORD


def live(make_event, **fields):
    """A rally starting soon: sign-in is open."""
    fields.setdefault("starts_at", utcnow() + timedelta(minutes=10))
    fields.setdefault("ends_at", utcnow() + timedelta(hours=2))
    return make_event(**fields)


def entry(**fields):
    values = dict(
        id=str(uuid.uuid4()),
        created=utcnow().isoformat() + "Z",
        given_name="Rosa",
        family_name="Parks",
        email=f"rosa-{uuid.uuid4().hex[:6]}@example.org",
        postal_code="06106",
        language="en",
    )
    values.update(fields)
    return values


def kiosk_csrf(client, page_url: str) -> str:
    html = client.get(page_url).get_data(as_text=True)
    start = html.index('data-csrf="') + len('data-csrf="')
    return html[start : html.index('"', start)]


def sync(client, url, entries, token, device="phone-1"):
    return client.post(
        url, json={"device": device, "entries": entries}, headers={"X-CSRFToken": token}
    )


@pytest.fixture
def rally(make_event, make_petition):
    petition = make_petition()
    return live(make_event, petition=petition)


@pytest.fixture
def volunteer(make_user, login):
    return login(make_user("volunteer"))


def urls(event):
    return f"/manage/e/{event.slug}/kiosk", f"/manage/e/{event.slug}/kiosk/sync.json"


# --- the pages ---------------------------------------------------------------------------


def test_kiosk_pages_for_staff_only(client, make_user, login, rally, make_petition):
    petition = make_petition()
    for url in (f"/manage/e/{rally.slug}/kiosk", f"/manage/p/{petition.slug}/kiosk"):
        r = client.get(url)
        assert r.status_code == 302 and "/auth/login" in r.headers["Location"]
    login(make_user("volunteer"))
    page = client.get(f"/manage/e/{rally.slug}/kiosk")
    assert page.status_code == 200
    assert "no-store" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    assert 'autocomplete="off"' in html and 'name="sign"' in html and 'name="phone"' in html
    texts = json.loads(html.split('id="kiosk-texts">', 1)[1].split("</script>", 1)[0])
    assert texts["es"]["msg_given_name"] == "Escriba su nombre."
    assert texts["en"]["msg_given_name"] == "Please enter your first name."
    page = client.get(f"/manage/p/{petition.slug}/kiosk").get_data(as_text=True)
    assert 'name="town"' in page and 'name="sign"' not in page and 'name="phone"' not in page
    assert client.get("/manage/e/nope/kiosk").status_code == 404
    manifest = client.get(f"/manage/e/{rally.slug}/kiosk.webmanifest")
    assert manifest.get_json()["start_url"] == f"/manage/e/{rally.slug}/kiosk"
    sw = client.get("/manage/kiosk-sw.js")
    assert sw.headers["Service-Worker-Allowed"] == "/manage/"
    assert "KIOSK_ASSETS" in sw.get_data(as_text=True)


def test_linked_from_the_dashboards(client, organizer, rally):
    html = client.get(f"/manage/e/{rally.slug}").get_data(as_text=True)
    assert f"/manage/e/{rally.slug}/kiosk" in html
    html = client.get(f"/manage/p/{rally.petition.slug}").get_data(as_text=True)
    assert f"/manage/p/{rally.petition.slug}/kiosk" in html


# --- sync ----------------------------------------------------------------------------------


def test_sync_walk_ups_check_ins_and_signatures(
    client, volunteer, rally, make_attendee, smtp_server
):
    page, url = urls(rally)
    token = kiosk_csrf(client, page)
    rsvp, _ = make_attendee(rally, name="Ana Rivera", email="ana@example.org")
    batch = [
        entry(given_name="Ana", family_name="Rivera", email="ANA@example.org"),
        entry(given_name="Rosa", email="rosa@example.org", sign=True, phone="860-555-0123"),
        entry(given_name="Luis", family_name="Ortiz", language="es", sign=True, town="Hartford"),
    ]
    r = sync(client, url, batch, token)
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert [x["result"] for x in body["results"]] == ["checked_in", "walk_up", "walk_up"]
    assert body["counts"] == {"stored": 3, "replayed": 0, "refused": 0}

    db.session.refresh(rsvp)
    assert rsvp.checked_in_at is not None and rsvp.checked_in_by_id == volunteer.id
    walk_ups = db.session.scalars(
        select(Attendee).where(Attendee.walk_up.is_(True)).order_by(Attendee.id)
    ).all()
    assert [a.name for a in walk_ups] == ["Rosa Parks", "Luis Ortiz"]
    assert walk_ups[0].phone == "860-555-0123" and walk_ups[1].language == "es"
    assert all(a.checked_in_at is not None and a.signed_petition for a in walk_ups)
    sigs = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [(s.given_name, s.source) for s in sigs] == [("Rosa", "kiosk"), ("Luis", "kiosk")]
    assert sigs[1].town == "Hartford" and sigs[1].language == "es"
    assert all(s.counted for s in sigs)  # the petition asks for no confirmation
    devices = db.session.scalars(select(CheckIn.device).where(CheckIn.event_id == rally.id)).all()
    assert devices == ["kiosk phone-1"] * 3
    records = db.session.scalars(select(KioskEntry).order_by(KioskEntry.id)).all()
    assert {(k.user_id, k.device, k.kind) for k in records} == {(volunteer.id, "phone-1", "rally")}
    assert records[1].signature_id == sigs[0].id and records[0].attendee_id == rsvp.id

    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "kiosk.sync")).all()
    assert len(audit) == 1 and audit[0].user_id == volunteer.id
    assert "3 entries, 3 stored" in audit[0].detail and audit[0].object_id == rally.slug

    # The dashboard tells the kiosk's walk-ups from the poster's.
    stats = client.get(f"/manage/e/{rally.slug}/stats.json").get_json()
    assert stats["walk_ups"] == 2 and stats["kiosk_walk_ups"] == 2
    assert stats["poster_walk_ups"] == 0


def test_replayed_batch_stores_nothing_new(client, volunteer, rally):
    page, url = urls(rally)
    token = kiosk_csrf(client, page)
    batch = [entry(sign=True), entry(given_name="Omar")]
    assert sync(client, url, batch, token).status_code == 200
    again = sync(client, url, batch, token).get_json()
    assert [x["status"] for x in again["results"]] == ["replayed", "replayed"]
    assert [x["result"] for x in again["results"]] == ["walk_up", "walk_up"]
    assert db.session.scalar(select(func.count(Attendee.id))) == 2
    assert db.session.scalar(select(func.count(Signature.id))) == 1
    assert db.session.scalar(select(func.count(KioskEntry.id))) == 2
    assert db.session.scalar(select(func.count(CheckIn.id))) == 2
    # One person entered twice (two ids): one attendee, checked in once.
    twice = entry(email="twice@example.org")
    sync(client, url, [twice, dict(twice, id=str(uuid.uuid4()))], token)
    assert db.session.scalar(select(func.count(Attendee.id))) == 3


def test_entries_refused_with_the_forms_messages(client, volunteer, make_event, make_petition):
    petition = make_petition(ask_waitlist=True, waitlist_min=1, waitlist_max=5000)
    event = live(make_event, petition=petition, ask_waitlist=True)
    page, url = urls(event)
    token = kiosk_csrf(client, page)
    batch = [
        entry(given_name=" "),
        entry(email="not-an-email"),
        entry(waitlist_number="9999"),
        entry(postal_code="0610", language="es"),
        entry(given_name=7),
        entry(created="yesterday"),
        entry(language="fr"),
    ]
    body = sync(client, url, batch, token).get_json()
    results = body["results"]
    assert all(x["status"] == "refused" for x in results)
    assert results[0]["errors"] == {"given_name": "Please enter your first name."}
    assert "name@example.com" in results[1]["errors"]["email"]
    assert results[2]["errors"] == {"waitlist_number": "Please enter a number from 1 to 5000."}
    assert results[3]["errors"]["postal_code"].startswith("Escriba un código postal")
    assert results[4]["message"] == "given_name must be text"
    assert "ISO 8601" in results[5]["message"]
    assert "language" in results[6]["message"]
    assert db.session.scalar(select(func.count(Attendee.id))) == 0
    assert db.session.scalar(select(func.count(KioskEntry.id))) == 0


@pytest.mark.parametrize(
    "payload, status",
    [
        ("not json", 400),
        ([], 400),
        ({"entries": "x"}, 400),
        ({"entries": [1]}, 400),
        ({"entries": [{"id": "short"}]}, 400),
        ({"device": 5, "entries": []}, 400),
        ({"entries": [{"id": str(uuid.uuid4())} for _ in range(501)]}, 413),
    ],
)
def test_bad_batches_are_clear_4xx_and_store_nothing(client, volunteer, rally, payload, status):
    page, url = urls(rally)
    token = kiosk_csrf(client, page)
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    body = payload if isinstance(payload, str) else json.dumps(payload)
    r = client.post(url, data=body, headers=headers)
    assert r.status_code == status and r.is_json and r.get_json()["error"]
    assert db.session.scalar(select(func.count(KioskEntry.id))) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "kiosk.sync")) == 0  # fmt: skip


def test_logged_out_or_deactivated_volunteer_gets_401(client, runner, volunteer, rally):
    page, url = urls(rally)
    token = kiosk_csrf(client, page)
    result = runner.invoke(args=["users", "deactivate", volunteer.email])
    assert result.exit_code == 0, result.output
    r = sync(client, url, [entry()], token)
    assert r.status_code == 401 and r.is_json
    client.post("/auth/logout")
    assert sync(client, url, [entry()], token).status_code == 401
    assert db.session.scalar(select(func.count(Attendee.id))) == 0


def test_missing_csrf_token_is_400(client, volunteer, rally):
    _, url = urls(rally)
    r = client.post(url, json={"entries": [entry()]})
    assert r.status_code == 400
    assert db.session.scalar(select(func.count(Attendee.id))) == 0


def test_petition_kiosk_signs_as_the_petition_says(client, volunteer, make_petition, smtp_server):
    petition = make_petition(require_confirmation=True)
    page = f"/manage/p/{petition.slug}/kiosk"
    url = page + "/sync.json"
    token = kiosk_csrf(client, page)
    batch = [
        entry(email="ana@example.org", given_name="Ana", role="parent", opt_in=True),
        entry(email="ana@example.org", given_name="Ana"),  # the same person, entered twice
        entry(email="ana@example.org", given_name="Luz"),  # her household
        entry(role="astronaut"),
    ]
    body = sync(client, url, batch, token).get_json()
    assert [x["result"] for x in body["results"]] == ["pending", "duplicate", "pending", ""]
    assert body["results"][3]["errors"] == {"role": "Please choose one of the options."}
    sigs = db.session.scalars(select(Signature).order_by(Signature.id)).all()
    assert [(s.given_name, s.source, s.role, s.opt_in) for s in sigs] == [
        ("Ana", "kiosk", "parent", True),
        ("Luz", "kiosk", "", False),
    ]
    assert not any(s.counted for s in sigs)  # waits for its confirmation, as online
    assert len(smtp_server) == 2  # the confirmation mails
    records = db.session.scalars(select(KioskEntry)).all()
    assert {r.kind for r in records} == {"petition"} and len(records) == 3


class Phone:
    """One device's browser session over real HTTP (cookies kept), without a browser."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as r:
            return r.read().decode()

    def post(self, path: str, data: bytes, headers: dict) -> tuple[int, str]:
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def login(self, email: str) -> None:
        token = self.get("/auth/login").split('name="csrf_token" type="hidden" value="')[1]
        form = {"email": email, "password": PASSWORD, "csrf_token": token.split('"')[0]}
        self.post("/auth/login", urllib.parse.urlencode(form).encode(), {})


def test_two_devices_syncing_the_same_person_at_once_store_one(app, rally, make_user, live_server):
    """Two phones, two volunteers' sessions, over real HTTP at the same instant."""
    page, url = urls(rally)
    person = entry(email="same@example.org", sign=True)
    phones = []
    for _ in range(2):
        phone = Phone(live_server)
        phone.login(make_user("volunteer").email)
        phone.token = phone.get(page).split('data-csrf="')[1].split('"')[0]
        phones.append(phone)
    db.session.rollback()
    start = threading.Barrier(2)
    answers = []

    def send(phone, body):
        data = json.dumps(body).encode()
        headers = {"X-CSRFToken": phone.token, "Content-Type": "application/json"}
        start.wait()
        answers.append(phone.post(url, data, headers))

    # Each phone entered the person (ids of its own); then one batch sent twice at once.
    bodies = [
        {"device": "a", "entries": [person]},
        {"device": "b", "entries": [dict(person, id=str(uuid.uuid4()))]},
    ]
    for round_ in (bodies, [bodies[0], bodies[0]]):
        answers.clear()
        threads = [
            threading.Thread(target=send, args=pair) for pair in zip(phones, round_, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [status for status, _ in answers] == [200, 200], answers
    db.session.rollback()
    assert db.session.scalar(select(func.count(Attendee.id))) == 1
    assert db.session.scalar(select(func.count(Signature.id))) == 1
    assert db.session.scalar(select(func.count(KioskEntry.id))) == 2
    assert db.session.scalar(select(func.count(CheckIn.id))) == 2  # checked in, then already


def test_rally_kiosk_asks_and_stores_needs(client, volunteer, make_event):
    event = live(make_event, interpretation_languages="es,asl")
    page, url = urls(event)
    html = client.get(page).get_data(as_text=True)
    assert 'name="needs" value="childcare"' in html and 'name="interpretation_language"' in html
    token = kiosk_csrf(client, page)
    batch = [
        entry(
            needs=["childcare", "interpretation"],
            interpretation_language="es",
            needs_note="Two kids, 4 and 7",
        ),
        entry(needs=["interpretation"], language="en"),
        entry(needs="childcare"),
    ]
    results = sync(client, url, batch, token).get_json()["results"]
    assert [r["status"] for r in results] == ["stored", "refused", "refused"]
    assert results[1]["errors"] == {
        "interpretation_language": "Please choose the language you need interpretation in."
    }
    assert results[2]["message"] == "needs must be a list of text"
    attendee = db.session.scalars(select(Attendee)).one()
    assert attendee.needs == "interpretation,childcare"
    assert attendee.interpretation_language == "es" and attendee.needs_note == "Two kids, 4 and 7"
    stats = client.get(f"/manage/e/{event.slug}/stats.json").get_json()
    assert stats["needs"]["childcare"] == 1 and stats["kiosk_walk_ups"] == 1
