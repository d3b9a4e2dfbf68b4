"""Rally mail to everyone with an RSVP: reminders at their time (on a clock the test
controls), change and cancellation notices, once, in each person's language."""

import re
import urllib.parse
from datetime import datetime, timedelta

from sqlalchemy import func, select

from petitions.core.extensions import db
from petitions.mail import mailings
from petitions.models import Mailing
from tests.conftest import csrf_from
from tests.mail_helpers import addressee

START = datetime(2030, 3, 14, 15, 0)  # 11:00 AM in Hartford (EDT)


def text_of(msg) -> str:
    """The plain-text part, with Babel's narrow no-break spaces as plain ones."""
    return msg.get_body(("plain",)).get_content().replace("\u202f", " ")


def due_at(moment: datetime) -> None:
    mailings.run_due(clock=mailings.Clock(moment))


def rally(make_event, make_attendee, **fields):
    event = make_event(
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        name_es="Marcha al Capitolio",
        meeting_point_es="Escalones del norte",
        reminder_hours="24,2",
        **fields,
    )
    make_attendee(event, name="Ana Rivera", email="ana@example.org", language="es")
    make_attendee(event, name="Bo Li", email="bo@example.org", language="en")
    make_attendee(event, name="Revoked", email="rev@example.org", revoked=True)
    return event


def test_reminders_go_out_at_their_time_once_in_each_language(
    make_event, make_attendee, smtp_server
):
    rally(make_event, make_attendee)
    due_at(START - timedelta(hours=25))
    assert smtp_server == []
    due_at(START - timedelta(hours=23))
    mail = {addressee(m): m for m in smtp_server}
    assert set(mail) == {"ana@example.org", "bo@example.org"}
    ana, bo = mail["ana@example.org"], mail["bo@example.org"]
    assert ana["Subject"] == "Recordatorio: Marcha al Capitolio"
    ana_text = text_of(ana)
    assert "Escalones del norte" in ana_text
    assert "11:00" in ana_text and "EDT" in ana_text  # the event's own clock
    assert bo["Subject"] == "Reminder: Rally for magnet school seats"
    bo_text = text_of(bo)
    assert "North entrance steps" in bo_text and "11:00 AM" in bo_text
    assert ana["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    due_at(START - timedelta(hours=22))  # checked again: nothing new
    assert len(smtp_server) == 2
    due_at(START - timedelta(hours=1, minutes=50))
    assert len(smtp_server) == 4
    due_at(START + timedelta(minutes=5))
    assert len(smtp_server) == 4


def test_unsubscribed_attendees_get_no_reminder(make_event, make_attendee, smtp_server):
    from petitions.mail.suppressions import suppress

    rally(make_event, make_attendee)
    suppress("ANA@example.org")
    db.session.commit()
    due_at(START - timedelta(hours=1))
    assert [addressee(m) for m in smtp_server] == ["bo@example.org"]


def edit(client, event, **fields):
    url = f"/manage/e/{event.slug}/edit"
    page = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_from(page),
        "name": event.name,
        "slug": event.slug,
        "timezone": event.timezone,
        "starts_at": "2030-03-14T11:00",
        "ends_at": "2030-03-14T13:00",
        "place": event.place,
        "address": event.address,
        "meeting_point": event.meeting_point,
        "meeting_point_es": event.meeting_point_es,
        "name_es": event.name_es,
        "petition_id": "0",
        "reminder_hours": "24, 2",
    }
    data.update(fields)
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_a_moved_event_tells_everyone_once(
    client, organizer, make_event, make_attendee, smtp_server
):
    event = rally(make_event, make_attendee)
    edit(client, event)  # nothing an attendee acts on changed
    assert smtp_server == []
    edit(client, event, starts_at="2030-03-14T12:30", ends_at="2030-03-14T14:00")
    mail = {addressee(m): m for m in smtp_server}
    assert set(mail) == {"ana@example.org", "bo@example.org"}
    assert mail["ana@example.org"]["Subject"] == "Cambio: Marcha al Capitolio"
    assert "Cambió la hora" in text_of(mail["ana@example.org"])
    assert "12:30 PM" in text_of(mail["bo@example.org"])
    edit(client, event, starts_at="2030-03-14T12:30", ends_at="2030-03-14T14:00")  # saved again
    assert len(smtp_server) == 2


def test_a_cancelled_event_tells_everyone_once(
    client, organizer, make_event, make_attendee, smtp_server
):
    event = rally(make_event, make_attendee)
    url = f"/manage/e/{event.slug}/cancel"
    token = csrf_from(client.get(f"/manage/e/{event.slug}").get_data(as_text=True))
    client.post(url, data={"csrf_token": token})
    client.post(url, data={"csrf_token": token})
    subjects = sorted(m["Subject"] for m in smtp_server)
    assert subjects == [
        "Cancelado: Marcha al Capitolio",
        "Cancelled: Rally for magnet school seats",
    ]
    # A cancelled event sends no reminders.
    due_at(START - timedelta(hours=1))
    assert len(smtp_server) == 2
    assert db.session.scalar(select(func.count()).select_from(Mailing)) == 1


def test_reminder_hours_are_checked(client, organizer, make_event, make_attendee):
    event = rally(make_event, make_attendee)
    url = f"/manage/e/{event.slug}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="24, 2"' in page
    response = client.post(url, data={"csrf_token": csrf_from(page), "reminder_hours": "soon"})
    assert response.status_code == 400
    assert "whole hours" in response.get_data(as_text=True)


def test_a_reminder_carries_the_attendees_own_ticket_qr(
    client, make_event, make_attendee, smtp_server
):
    import io

    import zxingcpp
    from PIL import Image

    from tests.events_helpers import person

    event = make_event(starts_at=START, ends_at=START + timedelta(hours=2), reminder_hours="24")
    assert (
        client.post(f"/es/e/{event.slug}", data=person(email="lu@example.org")).status_code == 302
    )
    make_attendee(event, name="Bo Li", email="bo@example.org")  # made before tickets were sealed
    [ticket_mail] = smtp_server
    token = re.search(r"http://localhost/\S*t/(\w+)", text_of(ticket_mail)).group(1)
    ticket_url = f"http://localhost/t/{token}"
    smtp_server.clear()
    due_at(START - timedelta(hours=23))
    mail = {addressee(m): m for m in smtp_server}
    lu, bo = mail["lu@example.org"], mail["bo@example.org"]
    assert ticket_url in text_of(lu) and "muestre su código QR" in text_of(lu)
    [png] = [p for p in lu.walk() if p.get_content_type() == "image/png"]
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_content())))
    assert [c.text for c in codes] == [ticket_url]
    assert client.get(urllib.parse.urlsplit(ticket_url).path).status_code == 200
    # A ticket that cannot be unsealed: the reminder says how to get one instead.
    assert "Bring the ticket from the email" in text_of(bo)
    assert not [p for p in bo.walk() if p.get_content_type() == "image/png"]
