import logging
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from petitions.core import qr
from petitions.core.extensions import db
from petitions.mail.message import build_message
from petitions.mail.transport import send
from petitions.models import Attendee
from tests.events_helpers import person
from tests.mail_helpers import addressee


def send_mail(to, subject, text, **options) -> bool:
    return send(build_message(to, subject, text, language="en", **options))


def test_mail_goes_over_smtp_with_inline_image(app, smtp_server):
    send_mail(
        "ana@example.org",
        "Your ticket",
        "See you there",
        html='<p>Ticket</p><img src="cid:qr">',
        inline_images={"qr": qr.png("https://example.org/t/X")},
    )
    assert len(smtp_server) == 1
    msg = smtp_server[0]
    assert addressee(msg) == "ana@example.org" and msg["Subject"] == "Your ticket"
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    content_id = re.fullmatch(r"<(qr\.[0-9a-f]{16}@localhost)>", image["Content-ID"])
    assert content_id, image["Content-ID"]  # RFC 2392: unique, left@right
    html = msg.get_body(("html",)).get_content()
    assert f'src="cid:{content_id.group(1)}"' in html and 'src="cid:qr"' not in html


def test_mail_without_smtp_goes_to_outbox(app, tmp_path):
    app.config["MAIL_SERVER"] = None
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    send_mail("ana@example.org", "Hola", "Texto con acentos: áéí")
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1
    assert b"Subject: Hola" in files[0].read_bytes()


@pytest.fixture
def refusing_smtp_server(app):
    """A real SMTP server (aiosmtpd) that turns every message away with a 554."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "554 5.7.1 Message refused"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield
    controller.stop()


def test_a_refusing_server_is_logged_and_reported(app, refusing_smtp_server, caplog):
    with caplog.at_level(logging.ERROR, logger="petitions.mail.transport"):
        assert send_mail("ana@example.org", "Your ticket", "See you there") is False
    assert "could not send the mail 'Your ticket'" in caplog.text
    assert "554" in caplog.text


def test_no_server_at_all_is_reported_too(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    assert send_mail("ana@example.org", "Hola", "Texto") is False


def test_sent_mail_says_so(app, smtp_server):
    assert send_mail("ana@example.org", "Hola", "Texto") is True


def test_rsvp_is_kept_when_the_ticket_mail_fails(app, client, make_event, refusing_smtp_server):
    event = make_event()
    r = client.post(f"/e/{event.slug}", data=person())
    assert r.status_code == 302 and r.headers["Location"].startswith("/t/")
    ticket = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "We could not email your ticket just now. Keep this page open." in ticket
    assert db.session.scalar(select(func.count(Attendee.id))) == 1
