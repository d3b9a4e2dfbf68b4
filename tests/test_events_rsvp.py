"""Public event page, RSVP, ticket mail, .ics, capacity/cancelled/ended, duplicates, signing."""

from datetime import timedelta

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.models import Attendee, EventStatus, Signature
from petitions.models.base import utcnow
from tests.events_helpers import person, ticket_token
from tests.mail_helpers import addressee


def rsvp(client, event, lang=None, **data):
    url = f"/{lang}/e/{event.slug}" if lang else f"/e/{event.slug}"
    assert client.get(url).status_code == 200
    return client.post(url, data={**person(), **data})


def attendee_count(event):
    return db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == event.id))


def test_event_page_shows_details_map_and_calendar(client, make_event):
    event = make_event(name="March for <seats> & schools")
    r = client.get(f"/e/{event.slug}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "March for &lt;seats&gt; &amp; schools" in html
    assert (
        "https://www.openstreetmap.org/search?query=Legislative+Office+Building%2C+300+Capitol"
        in html
    )
    assert f"/e/{event.slug}.ics" in html
    assert 'name="given_name"' in html and 'name="postal_code"' in html
    assert 'name="waitlist_number"' not in html  # not asked for
    assert 'name="sign"' not in html  # no linked petition


def test_draft_is_not_public(client, make_event):
    event = make_event(status=EventStatus.DRAFT)
    assert client.get(f"/e/{event.slug}").status_code == 404
    assert client.get(f"/e/{event.slug}.ics").status_code == 404
    assert client.get("/e/no-such-event").status_code == 404


def test_rsvp_creates_ticket_and_mails_it(client, make_event, smtp_server):
    event = make_event()
    r = rsvp(client, event, phone="860-555-0123")
    assert r.status_code == 302 and "/t/" in r.headers["Location"]
    attendee = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id))
    assert attendee.name == "Ana Rivera" and attendee.phone == "860-555-0123"
    assert not attendee.walk_up and attendee.checked_in_at is None
    (message,) = smtp_server
    assert addressee(message) == "ana@example.org"
    assert event.name in message["Subject"]
    token = ticket_token(message)
    assert r.headers["Location"].endswith(f"/t/{token}")
    # Only the hash is stored.
    assert token not in (attendee.token_hash, attendee.email)
    html = message.get_body(preferencelist=("html",))
    [image] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html.get_content()


def test_ticket_mail_in_spanish(client, make_event, smtp_server):
    event = make_event()
    r = rsvp(client, event, lang="es")
    assert r.status_code == 302
    (message,) = smtp_server
    assert "Su entrada" in message["Subject"]
    assert "Hola Ana Rivera" in message.get_body(preferencelist=("plain",)).get_content()


def test_event_page_in_spanish(client, make_event):
    event = make_event()
    html = client.get(f"/es/e/{event.slug}").get_data(as_text=True)
    assert "Confirmar asistencia" in html and "Nombre" in html
    # An old ?lang= link goes to the Spanish URL.
    old = client.get(f"/e/{event.slug}?lang=es", follow_redirects=True)
    assert old.request.path == f"/es/e/{event.slug}" and "Confirmar asistencia" in old.text


def test_rsvp_validation_errors_keep_data_and_store_nothing(client, make_event):
    event = make_event(ask_waitlist=True)
    r = rsvp(
        client,
        event,
        given_name="<b>Ana</b>",
        email="not-an-email",
        postal_code="ABCDE",
        phone="call me",
        waitlist_number="12x",
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "Please leave out the" in html
    assert "Please check your email address" in html
    assert "5-digit ZIP code" in html
    assert "Please enter a phone number" in html
    assert "Please use digits only" in html
    assert 'value="not-an-email"' in html
    assert attendee_count(event) == 0


def test_rsvp_from_another_site_is_refused(client, make_event):
    event = make_event()
    r = client.post(f"/e/{event.slug}", data=person(), headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert attendee_count(event) == 0


def test_waitlist_number_range_from_linked_petition(client, make_event, make_petition):
    petition = make_petition(ask_waitlist=True, waitlist_min=1, waitlist_max=500)
    event = make_event(ask_waitlist=True, petition_id=petition.id)
    r = rsvp(client, event, waitlist_number="501")
    assert r.status_code == 400
    assert "from 1 to 500" in r.get_data(as_text=True)
    r = rsvp(client, event, waitlist_number="42")
    assert r.status_code == 302
    assert db.session.scalar(select(Attendee.waitlist_number)) == 42


def test_duplicate_rsvp_mails_a_fresh_link_and_shows_no_ticket(app, make_event, smtp_server):
    event = make_event()
    first = rsvp(app.test_client(), event)
    old_token = ticket_token(smtp_server[0])
    client = app.test_client()  # someone else, typing Ana's email
    r = rsvp(client, event, given_name="Mallory", family_name="X")
    assert first.status_code == 302
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/e/{event.slug}/sent")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Ana" not in page and "Rivera" not in page and "/t/" not in page
    assert attendee_count(event) == 1
    assert len(smtp_server) == 2 and addressee(smtp_server[1]) == "ana@example.org"
    new_token = ticket_token(smtp_server[1])
    assert new_token != old_token
    assert client.get(f"/t/{old_token}").status_code == 404
    assert client.get(f"/t/{new_token}").status_code == 200


def test_capacity_reached(client, make_event, make_attendee):
    event = make_event(capacity=2)
    make_attendee(event)
    make_attendee(event, walk_up=True)  # walk-ups do not take RSVP places
    assert rsvp(client, event).status_code == 302
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "This event is full" in html
    r = rsvp(client, event, email="late@example.org")
    assert r.status_code == 409
    assert "This event is full" in r.get_data(as_text=True)
    assert attendee_count(event) == 3


def test_cancelled_event(client, csrf, make_event):
    event = make_event(status=EventStatus.CANCELLED)
    page = client.get(f"/e/{event.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This event has been cancelled" in html and 'name="given_name"' not in html
    r = client.post(f"/e/{event.slug}", data=person())
    assert r.status_code == 409 and attendee_count(event) == 0
    assert "STATUS:CANCELLED" in client.get(f"/e/{event.slug}.ics").get_data(as_text=True)


def test_past_event_is_closed(client, make_event):
    event = make_event(
        starts_at=utcnow() - timedelta(days=3), ends_at=utcnow() - timedelta(days=3, hours=-2)
    )
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert "This event has ended" in html and 'name="given_name"' not in html


def test_rsvp_can_sign_linked_petition(client, make_event, make_petition, smtp_server):
    petition = make_petition()
    event = make_event(petition_id=petition.id)
    html = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert 'name="sign"' in html and "checked" not in html.split('name="sign"')[1][:40]
    r = rsvp(client, event, sign="y")
    assert r.status_code == 302
    sig = db.session.scalar(select(Signature).where(Signature.petition_id == petition.id))
    assert (sig.given_name, sig.family_name, sig.email) == ("Ana", "Rivera", "ana@example.org")
    assert sig.confirmed_at is not None and sig.source == "online"
    assert db.session.scalar(select(Attendee.signed_petition)) is True
    # Unchecked by default: a second attendee who leaves it off does not sign.
    rsvp(client, event, email="luis@example.org", given_name="Luis")
    assert db.session.scalar(select(func.count(Signature.id))) == 1


def test_rsvp_signing_keeps_a_waitlist_number_only_where_the_petition_takes_it(
    client, make_event, make_petition, smtp_server
):
    asks = make_petition(ask_waitlist=True, waitlist_min=1, waitlist_max=500)
    r = rsvp(client, make_event(ask_waitlist=True, petition_id=asks.id), sign="y",
             waitlist_number="42")  # fmt: skip
    assert r.status_code == 302
    assert "you also signed the petition" in client.get(r.headers["Location"]).get_data(
        as_text=True
    )
    silent = make_petition()  # asks for no number: the signature gets none
    rsvp(client, make_event(ask_waitlist=True, petition_id=silent.id), sign="y",
         waitlist_number="42")  # fmt: skip
    numbers = dict(
        db.session.execute(select(Signature.petition_id, Signature.waitlist_number)).all()
    )
    assert numbers == {asks.id: 42, silent.id: None}
    assert db.session.scalars(select(Attendee.waitlist_number)).all() == [42, 42]


def parse_ics(text):
    assert text.endswith("\r\n")
    unfolded = text.replace("\r\n ", "")
    return unfolded.split("\r\n")


def test_ics_has_utc_times_and_escapes(client, make_event):
    from datetime import datetime

    event = make_event(
        name="Rally; march, and \\ speak",
        starts_at=datetime(2030, 3, 14, 15, 0),  # 11:00 EDT
        ends_at=datetime(2030, 3, 14, 17, 30),
        route_notes="Line one\nLine two, with comma; and semicolon " + "long " * 30,
    )
    r = client.get(f"/e/{event.slug}.ics")
    assert r.status_code == 200 and r.mimetype == "text/calendar"
    text = r.get_data(as_text=True)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = parse_ics(text)
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VEVENT" in lines
    assert "DTSTART:20300314T150000Z" in lines
    assert "DTEND:20300314T173000Z" in lines
    assert "SUMMARY:Rally\\; march\\, and \\\\ speak" in lines
    desc = next(line for line in lines if line.startswith("DESCRIPTION:"))
    assert "Line one\\nLine two\\, with comma\\; and semicolon" in desc
    assert f"URL:http://localhost/e/{event.slug}" in lines
    assert any(
        line.startswith("LOCATION:Legislative Office Building\\, 300 Capitol") for line in lines
    )


def test_revoked_rsvp_email_cannot_rsvp_again(client, make_event, make_attendee, smtp_server):
    event = make_event()
    make_attendee(event, email="ana@example.org", revoked=True)
    r = rsvp(client, event)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/e/{event.slug}")
    assert smtp_server == []
