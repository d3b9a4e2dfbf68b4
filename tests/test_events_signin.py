"""Poster sign-in /e/<slug>/here/<key>: existing RSVP, walk-up, households, petition, old keys."""

from datetime import timedelta

from flask_babel import refresh
from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, CheckIn, EventStatus, Signature
from petitions.models.base import utcnow
from tests.events_helpers import person, ticket_token
from tests.mail_helpers import addressee


def live(make_event, **fields):
    """An event starting soon: sign-in is open."""
    fields.setdefault("starts_at", utcnow() + timedelta(minutes=10))
    fields.setdefault("ends_at", utcnow() + timedelta(hours=2))
    return make_event(**fields)


def here_url(event):
    return f"/e/{event.slug}/here/{event.signin_key}"


def sign_in(client, event, **data):
    page = client.get(here_url(event))
    assert page.status_code == 200
    return client.post(here_url(event), data={**person(), **data})


def checkins(event):
    return db.session.execute(
        select(CheckIn.result, CheckIn.device)
        .where(CheckIn.event_id == event.id)
        .order_by(CheckIn.id)
    ).all()


def test_existing_rsvp_is_checked_in_and_lands_on_ticket(
    client, make_event, make_attendee, smtp_server
):
    event = live(make_event)
    attendee, old_token = make_attendee(event, name="Ana Rivera", email="Ana@Example.org")
    r = sign_in(client, event, email="ana@example.org ")
    assert r.status_code == 302 and "/t/" in r.headers["Location"]
    db.session.refresh(attendee)
    assert attendee.checked_in_at is not None and not attendee.walk_up
    assert checkins(event) == [("ok", "poster")]
    ticket = client.get(r.headers["Location"])
    assert "Ana Rivera" in ticket.get_data(as_text=True)
    assert "You&#39;re checked in" in ticket.get_data(as_text=True)
    # The fresh ticket is mailed too, so the inbox holds a working link.
    assert r.headers["Location"].endswith("/t/" + ticket_token(smtp_server[-1]))
    # Signing in again: "already", logged, still one attendee.
    r = sign_in(client, event)
    assert r.status_code == 302
    assert checkins(event) == [("ok", "poster"), ("already", "poster")]
    assert "already checked in" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attendee.id))) == 1


def test_walk_up_is_recorded_checked_in(client, make_event, smtp_server):
    event = live(make_event, starts_at=utcnow() - timedelta(minutes=30), capacity=1)
    r = sign_in(client, event, given_name="Darnell", family_name="Jackson", email="dj@example.org")
    assert r.status_code == 302 and "/t/" in r.headers["Location"]
    walk_up = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id))
    assert walk_up.walk_up and walk_up.checked_in_at is not None
    assert walk_up.name == "Darnell Jackson"
    assert checkins(event) == [("ok", "poster")]
    assert addressee(smtp_server[0]) == "dj@example.org"


def test_household_email_in_another_name_is_checked_in_but_not_shown(
    app, make_event, make_attendee, smtp_server
):
    event = live(make_event)
    attendee, _ = make_attendee(event, name="Carmen Ortiz", email="ortiz@example.org")
    client = app.test_client()
    r = sign_in(client, event, given_name="Miguel", family_name="Ortiz", email="ortiz@example.org")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/e/{event.slug}/sent")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Carmen" not in page and "/t/" not in page
    db.session.refresh(attendee)
    assert attendee.checked_in_at is not None
    assert addressee(smtp_server[-1]) == "ortiz@example.org"


def test_sign_in_can_sign_the_linked_petition(client, make_event, make_petition):
    petition = make_petition()
    event = live(make_event, petition_id=petition.id)
    assert sign_in(client, event, sign="y").status_code == 302
    sig = db.session.scalar(select(Signature))
    assert sig.source == "rally" and sig.petition_id == petition.id
    assert db.session.scalar(select(Attendee.signed_petition)) is True


def test_rotated_key_retires_old_posters(client, organizer, csrf, make_event):
    event = live(make_event)
    old = here_url(event)
    r = client.post(f"/manage/e/{event.slug}/rotate-key", data={"csrf_token": csrf()})
    assert r.status_code == 302
    db.session.refresh(event)
    assert here_url(event) != old
    r = client.get(old)
    assert r.status_code == 410
    assert "This poster is out of date" in r.get_data(as_text=True)
    r = client.post(old, data=person())
    assert r.status_code == 410
    assert db.session.scalar(select(func.count(Attendee.id))) == 0
    assert client.get(here_url(event)).status_code == 200
    # Malformed keys get the same clear page, never an error.
    for bad in ("x", "%00", "A" * 300, event.signin_key.lower() + "Z"):
        assert client.get(f"/e/{event.slug}/here/{bad}").status_code == 410
    # Lower case typed from the poster still works.
    assert client.get(f"/e/{event.slug}/here/{event.signin_key.lower()}").status_code == 200


def test_sign_in_closed_states(client, csrf, make_event):
    draft = make_event(status=EventStatus.DRAFT)
    assert client.get(here_url(draft)).status_code == 404
    cancelled = make_event(status=EventStatus.CANCELLED)
    assert "cancelled" in client.get(here_url(cancelled)).get_data(as_text=True)
    r = client.post(here_url(cancelled), data=person())
    assert r.status_code == 409
    early = make_event(starts_at=utcnow() + timedelta(days=5), ends_at=None)
    assert "opens a few hours before" in client.get(here_url(early)).get_data(as_text=True)
    over = make_event(starts_at=utcnow() - timedelta(days=3), ends_at=None)
    assert "closed" in client.get(here_url(over)).get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attendee.id))) == 0


def test_sign_in_validation_and_spanish(client, make_event):
    event = live(make_event)
    r = sign_in(client, event, email="nope", postal_code="1")
    assert r.status_code == 400
    refresh()  # the app fixture's one app context caches the locale of the last request
    html = client.get(here_url(event) + "?lang=es", follow_redirects=True).get_data(as_text=True)
    assert "Ya llegué" in html and "Registre su llegada" in html


def test_one_wifi_crowd_is_not_rate_limited(client, csrf, make_event):
    """Hundreds of people behind one address: well over the sign form's 120/minute."""
    event = live(make_event)
    codes = {client.post(here_url(event), data={"email": "x"}).status_code for _ in range(150)}
    assert codes == {400}
