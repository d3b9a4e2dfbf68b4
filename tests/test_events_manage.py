"""Organizer pages: event CRUD with time zones, validation, authorization, poster, dashboard, CSV."""

import csv
import io
import re
from datetime import datetime, timedelta

import pypdfium2
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.models import Event, EventStatus, ExportLog
from petitions.models.base import utcnow


def event_form(**overrides):
    data = dict(
        name="Rally at the Capitol",
        slug="capitol-rally",
        description="<p>Bring signs!</p><script>alert(1)</script>",
        timezone="America/New_York",
        starts_at="2030-03-14T11:00",
        ends_at="2030-03-14T13:30",
        place="Legislative Office Building",
        address="300 Capitol Ave, Hartford, CT 06106",
        meeting_point="North steps",
        route_notes="March to the State Board of Education.",
        petition_id="0",
        capacity="",
    )
    data.update(overrides)
    return data


# --- authorization ----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, make_event):
    event = make_event()
    for url in (
        "/manage/e/",
        "/manage/e/new",
        f"/manage/e/{event.slug}",
        f"/manage/e/{event.slug}/edit",
        f"/manage/e/{event.slug}/stats.json",
        f"/manage/e/{event.slug}/poster.pdf",
        f"/manage/e/{event.slug}/attendees.csv",
    ):
        r = client.get(url)
        assert r.status_code in (302, 401), url
        if r.status_code == 302:
            assert "/auth/login" in r.headers["Location"]


def test_volunteer_sees_counts_but_no_personal_data(
    client, make_user, login, csrf, make_event, make_attendee
):
    event = make_event()
    make_attendee(event, name="Ana Rivera", email="ana@example.org", phone="8605550100")
    login(make_user("volunteer"))
    assert client.get("/manage/e/").status_code == 200
    r = client.get(f"/manage/e/{event.slug}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Ana Rivera" in html
    assert "ana@example.org" not in html and "8605550100" not in html
    assert "attendees.csv" not in html and "poster.pdf" not in html
    # Searching by email must not reveal who registered.
    html = client.get(f"/manage/e/{event.slug}?q=ana@example").get_data(as_text=True)
    assert "Ana Rivera" not in html
    assert client.get(f"/manage/e/{event.slug}/stats.json").json["rsvps"] == 1
    for url in (
        "/manage/e/new",
        f"/manage/e/{event.slug}/edit",
        f"/manage/e/{event.slug}/attendees.csv",
        f"/manage/e/{event.slug}/poster.pdf",
    ):
        assert client.get(url).status_code == 403, url
    token = csrf()
    for action in ("publish", "cancel", "rotate-key"):
        assert (
            client.post(f"/manage/e/{event.slug}/{action}", data={"csrf_token": token}).status_code
            == 403
        )
    assert db.session.scalar(select(ExportLog.id)) is None


# --- create / edit / publish / cancel ----------------------------------------------------


def test_create_converts_local_time_to_utc_and_sanitizes(client, organizer, csrf, make_petition):
    petition = make_petition()
    r = client.post(
        "/manage/e/new",
        data=dict(
            event_form(petition_id=str(petition.id), capacity="150", ask_waitlist="y"),
            csrf_token=csrf(),
        ),
    )
    assert r.status_code == 302, r.get_data(as_text=True)
    event = db.session.scalar(select(Event).where(Event.slug == "capitol-rally"))
    assert event.status == EventStatus.DRAFT
    assert event.starts_at == datetime(2030, 3, 14, 15, 0)  # EDT = UTC-4
    assert event.ends_at == datetime(2030, 3, 14, 17, 30)
    assert "<script>" not in event.description and "<p>Bring signs!</p>" in event.description
    assert (event.petition_id, event.capacity, event.ask_waitlist) == (petition.id, 150, True)
    assert len(event.signin_key) == 8
    # Not public until published.
    assert client.get("/e/capitol-rally").status_code == 200  # organizers get a preview
    edit = client.get("/manage/e/capitol-rally/edit").get_data(as_text=True)
    assert 'value="2030-03-14T11:00"' in edit  # shown back in local time


def test_winter_time_and_other_zones(client, organizer, csrf):
    r = client.post(
        "/manage/e/new",
        data=dict(
            event_form(starts_at="2030-01-10T18:00", ends_at="", timezone="America/Los_Angeles"),
            csrf_token=csrf(),
        ),
    )
    assert r.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.starts_at == datetime(2030, 1, 11, 2, 0) and event.ends_at is None


def test_create_validation(client, organizer, csrf, make_event):
    make_event(slug="taken")
    cases = [
        (dict(slug="Bad Slug!"), "Use lowercase letters"),
        (dict(slug="taken"), "Another event uses"),
        (dict(slug="new"), "Another event uses"),
        (dict(name=""), "This field is required"),
        (dict(starts_at="not a date"), "Not a valid datetime"),
        (dict(ends_at="2030-03-14T10:00"), "The end must be after the start"),
        (dict(timezone="Mars/Olympus"), "Use a time zone name"),
        (dict(starts_at="2030-03-10T02:30", ends_at=""), "does not exist in America/New_York"),
        (dict(capacity="-3"), "Number must be"),
        (dict(petition_id="999999"), "Not a valid choice"),
        (dict(name="x" * 500), "Field cannot be longer"),
    ]
    for overrides, message in cases:
        r = client.post("/manage/e/new", data=dict(event_form(**overrides), csrf_token=csrf()))
        assert r.status_code == 400, overrides
        assert message in r.get_data(as_text=True), (overrides, message)
    assert db.session.scalar(select(Event).where(Event.slug != "taken")) is None
    # Without the CSRF token: a clear 400, nothing stored.
    assert client.post("/manage/e/new", data=event_form()).status_code == 400


def test_edit_publish_cancel(client, organizer, csrf, make_event):
    event = make_event(status=EventStatus.DRAFT, slug="spring-march")
    assert client.get("/e/spring-march").get_data(as_text=True).count("Preview") >= 1
    r = client.post(
        "/manage/e/spring-march/edit",
        data=dict(event_form(slug="spring-march", name="Spring march"), csrf_token=csrf()),
    )
    assert r.status_code == 302
    db.session.refresh(event)
    assert event.name == "Spring march"
    assert (
        client.post("/manage/e/spring-march/publish", data={"csrf_token": csrf()}).status_code
        == 302
    )
    db.session.refresh(event)
    assert event.status == EventStatus.PUBLISHED
    assert (
        client.post("/manage/e/spring-march/cancel", data={"csrf_token": csrf()}).status_code == 302
    )
    db.session.refresh(event)
    assert event.status == EventStatus.CANCELLED
    client.post("/manage/e/spring-march/publish", data={"csrf_token": csrf()})
    db.session.refresh(event)
    assert event.status == EventStatus.CANCELLED  # cancelled stays cancelled
    # Without CSRF nothing happens.
    assert client.post("/manage/e/spring-march/cancel").status_code == 400
    assert client.get("/manage/e/no-such/edit").status_code == 404


def test_manage_index_links_to_events(client, organizer):
    assert "/manage/e/" in client.get("/manage/").get_data(as_text=True)


# --- poster -----------------------------------------------------------------------------


def decode_pdf(data: bytes):
    page = pypdfium2.PdfDocument(data)[0]
    image = page.render(scale=150 / 72).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image)]


def test_poster_letter_and_a4_decode_to_signin_url(client, organizer, make_event):
    event = make_event(name="Marcha por las escuelas — 学校 rally")
    url = f"http://localhost/e/{event.slug}/here/{event.signin_key}"
    for paper, size in (("letter", (612, 792)), ("a4", (595, 842))):
        r = client.get(f"/manage/e/{event.slug}/poster.pdf?paper={paper}")
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        reader = PdfReader(io.BytesIO(r.data))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == size
        text = reader.pages[0].extract_text()
        assert "Sign in here" in text and "Regístrese aquí" in text
        assert url.removeprefix("http://") in text.replace("\n", "")
        assert decode_pdf(r.data) == [url]
    assert client.get(f"/manage/e/{event.slug}/poster.pdf?paper=tabloid").status_code == 400


def test_rotation_changes_the_poster(client, organizer, csrf, make_event):
    event = make_event()
    before = decode_pdf(client.get(f"/manage/e/{event.slug}/poster.pdf").data)
    client.post(f"/manage/e/{event.slug}/rotate-key", data={"csrf_token": csrf()})
    db.session.refresh(event)
    after = decode_pdf(client.get(f"/manage/e/{event.slug}/poster.pdf").data)
    assert before != after == [f"http://localhost/e/{event.slug}/here/{event.signin_key}"]


# --- dashboard --------------------------------------------------------------------------


def test_dashboard_numbers_and_chart(client, organizer, make_event, make_attendee):
    event = make_event(starts_at=utcnow() - timedelta(minutes=30))
    t0 = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=20)
    t0 -= timedelta(minutes=t0.minute % 5)  # the start of a 5-minute bar
    make_attendee(event, checked_in_at=t0)
    make_attendee(event, checked_in_at=t0 + timedelta(minutes=1), signed_petition=True)
    make_attendee(
        event, checked_in_at=t0 + timedelta(minutes=12), walk_up=True, signed_petition=True
    )
    make_attendee(event)  # RSVP, not here yet
    make_attendee(event, signed_petition=True)  # signed online, not here
    make_attendee(event, revoked=True, checked_in_at=t0)  # not counted
    data = client.get(f"/manage/e/{event.slug}/stats.json").json
    assert data["rsvps"] == 4
    assert data["checked_in"] == 3
    assert data["walk_ups"] == 1
    assert data["signed_at_signin"] == 2
    assert data["signed_petition"] == 3
    assert data["chart_svg"].startswith("<svg") and "Check-ins per 5 minutes" in data["chart_svg"]
    bars = [int(v) for v in re.findall(r": (\d+)</title></rect>", data["chart_svg"])]
    assert sum(bars) == 3 and max(bars) == 2
    html = client.get(f"/manage/e/{event.slug}").get_data(as_text=True)
    assert 'data-stat="checked_in">3<' in html and "rally-dashboard.js" in html
    assert 'data-stats-url="/manage/e/' in html


def test_dashboard_search(client, organizer, make_event, make_attendee):
    event = make_event()
    make_attendee(event, name="Ana Rivera", email="ana@example.org")
    make_attendee(event, name="Wei Chen", email="wei@example.org")
    html = client.get(f"/manage/e/{event.slug}?q=chen").get_data(as_text=True)
    assert "Wei Chen" in html and "Ana Rivera" not in html
    html = client.get(f"/manage/e/{event.slug}?q=ana@ex").get_data(as_text=True)
    assert "Ana Rivera" in html and "Wei Chen" not in html
    html = client.get(f"/manage/e/{event.slug}?q=%25").get_data(as_text=True)  # a literal %
    assert "Nobody matches" in html
    html = client.get(f"/manage/e/{event.slug}?q=_").get_data(as_text=True)  # a literal _
    assert "Nobody matches" in html


def test_revoke_ticket(client, organizer, csrf, make_event, make_attendee):
    event = make_event()
    attendee, token = make_attendee(event)
    r = client.post(
        f"/manage/e/{event.slug}/attendees/{attendee.id}/revoke", data={"csrf_token": csrf()}
    )
    assert r.status_code == 302
    assert client.get(f"/t/{token}").status_code == 404
    other = make_event()
    r = client.post(
        f"/manage/e/{other.slug}/attendees/{attendee.id}/revoke", data={"csrf_token": csrf()}
    )
    assert r.status_code == 404


# --- CSV export -------------------------------------------------------------------------


def test_attendee_csv_is_guarded_and_logged(client, organizer, make_event, make_attendee):
    event = make_event()
    make_attendee(
        event, name='=HYPERLINK("http://evil")', email="a@example.org", phone="+18605550100"
    )
    make_attendee(
        event,
        name="José Colón",
        email="jose@example.org",
        checked_in_at=datetime(2030, 7, 4, 16, 5),
        walk_up=True,
    )
    r = client.get(f"/manage/e/{event.slug}/attendees.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeffname,email")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0].startswith("'=HYPERLINK") and rows[1][2] == "'+18605550100"
    assert rows[2][:2] == ["José Colón", "jose@example.org"]
    assert rows[2][5] == "walk-up" and rows[2][8] == "2030-07-04 12:05"
    log = db.session.scalar(select(ExportLog))
    assert (log.kind, log.subject, log.row_count, log.user_id) == (
        "attendees",
        event.slug,
        2,
        organizer.id,
    )


# --- demo data --------------------------------------------------------------------------


def test_demo_rally_is_idempotent(client, runner):
    from petitions.models import Attendee, Petition

    for _ in range(2):
        result = runner.invoke(args=["demo", "--attendees", "30"])
        assert result.exit_code == 0, result.output
        assert "/e/demo-rally" in result.output
    event = db.session.scalar(select(Event).where(Event.slug == "demo-rally"))
    petition = db.session.scalar(select(Petition).where(Petition.slug == "demo"))
    assert event.petition_id == petition.id and event.status == EventStatus.PUBLISHED
    assert len(db.session.scalars(select(Event)).all()) == 1
    assert len(db.session.scalars(select(Attendee.id)).all()) == 60
    assert client.get("/e/demo-rally").status_code == 200
