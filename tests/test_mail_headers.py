"""Every kind of mail the site sends carries the same headers (petitions/mail/message.py):
a named To, Content-Language, Date, Message-ID, Reply-To when configured, RFC 2392
Content-IDs for inline images; bulk mail adds List-Id and the one-click unsubscribe.
Read as a real SMTP server (aiosmtpd) received them, or from the outbox's .eml files."""

import re
from datetime import datetime, timedelta

import pytest

from petitions.core.extensions import db
from tests.conftest import csrf_from
from tests.events_helpers import person
from tests.mail_helpers import addressee, outbox

REPLY_TO = "Hartford Parents United <hello@example.org>"
START = datetime(2030, 3, 14, 15, 0)


@pytest.fixture
def reply_to(app):
    app.config["MAIL_REPLY_TO"] = REPLY_TO


def check(msg, *, to, name, language, mail_list=None, reply_to=True):
    """The headers every mail has; List-* exactly when it is bulk mail (`mail_list`)."""
    assert addressee(msg) == to
    assert msg["To"].addresses[0].display_name == name
    assert msg["Content-Language"] == language
    assert msg["Date"] is not None
    assert re.fullmatch(r"<[^<>@\s]+@localhost>", msg["Message-ID"]), msg["Message-ID"]
    if reply_to:
        assert [a.addr_spec for a in msg["Reply-To"].addresses] == ["hello@example.org"]
    else:
        assert msg["Reply-To"] is None
    if mail_list is None:
        for header in ("List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"):
            assert msg[header] is None, header
        return
    assert msg["List-Id"].endswith(f" <{mail_list}.localhost>"), msg["List-Id"]
    assert re.fullmatch(r"<https?://[^>]+/u/[0-9A-Z]{26}>", msg["List-Unsubscribe"])
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def inline_qr(msg) -> str:
    """The inline image's Content-ID, checked against RFC 2392 and the HTML's reference."""
    [image] = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    m = re.fullmatch(r"<([^<>@\s]+@[^<>@\s]+)>", image["Content-ID"])
    assert m, image["Content-ID"]
    html = msg.get_body(("html",)).get_content()
    assert re.findall(r'src="cid:([^"]+)"', html) == [m.group(1)]
    return m.group(1)


def sign(client, petition, lang_prefix="", **fields):
    data = {"given_name": "Rosa", "family_name": "Díaz", "email": "rosa@example.org",
            "postal_code": "06106", **fields}  # fmt: skip
    r = client.post(f"{lang_prefix}/p/{petition.slug}/sign", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)


def test_confirmation_mail_in_english_and_spanish(
    app, client, make_petition, smtp_server, reply_to
):
    petition = make_petition(require_confirmation=True)
    sign(client, petition)
    sign(app.test_client(), petition, "/es", given_name="Luis", family_name="Peña",
         email="luis@example.org")  # fmt: skip
    rosa, luis = smtp_server
    check(rosa, to="rosa@example.org", name="Rosa Díaz", language="en")
    check(luis, to="luis@example.org", name="Luis Peña", language="es")
    assert luis["Subject"].startswith("Confirme su firma")


def test_reply_to_only_when_configured(client, make_petition, smtp_server):
    sign(client, make_petition(require_confirmation=True))
    [mail] = smtp_server
    check(mail, to="rosa@example.org", name="Rosa Díaz", language="en", reply_to=False)


def test_outbox_files_carry_the_same_headers_encoded(app, client, make_petition, reply_to):
    app.config["MAIL_SERVER"] = None
    sign(client, make_petition(require_confirmation=True), "/es")
    [mail] = outbox(app.config["OUTBOX_DIR"])
    check(mail, to="rosa@example.org", name="Rosa Díaz", language="es")
    # The name's accent travels as an encoded word (RFC 2047), the headers stay ASCII.
    headers = bytes(mail).split(b"\n\n", 1)[0]
    assert headers.isascii()
    assert re.search(rb"^To: Rosa =\?utf-8\?q\?D=C3=ADaz\?= <rosa@example.org>$", headers, re.M)


def test_ticket_mail_and_its_inline_qr(app, client, make_event, smtp_server, reply_to):
    event = make_event()
    rsvp = person(given_name="Rosa", family_name="Díaz", email="rosa@example.org")
    assert client.post(f"/es/e/{event.slug}", data=rsvp).status_code == 302
    [ticket] = smtp_server
    check(ticket, to="rosa@example.org", name="Rosa Díaz", language="es")
    assert inline_qr(ticket).endswith("@localhost")


def test_reminder_and_cancel_notice_are_bulk_mail(
    app, client, runner, organizer, make_event, smtp_server, reply_to
):
    event = make_event(starts_at=START, ends_at=START + timedelta(hours=2), reminder_hours="24",
                       name_es="Marcha al Capitolio")  # fmt: skip
    rsvp = person(given_name="Rosa", family_name="Díaz", email="rosa@example.org")
    assert client.post(f"/es/e/{event.slug}", data=rsvp).status_code == 302
    [ticket] = smtp_server
    smtp_server.clear()
    result = runner.invoke(args=["mail", "due", "--now", "2030-03-13 16:00"])
    assert "1 mailing(s) sent." in result.output, result.output
    [reminder] = smtp_server
    check(reminder, to="rosa@example.org", name="Rosa Díaz", language="es",
          mail_list=f"{event.slug}.rally")  # fmt: skip
    assert reminder["List-Id"] == f"Marcha al Capitolio <{event.slug}.rally.localhost>"
    assert inline_qr(reminder) != inline_qr(ticket)  # unique to each message

    smtp_server.clear()
    token = csrf_from(client.get(f"/manage/e/{event.slug}").get_data(as_text=True))
    client.post(f"/manage/e/{event.slug}/cancel", data={"csrf_token": token})
    [notice] = smtp_server
    assert notice["Subject"] == "Cancelado: Marcha al Capitolio"
    check(notice, to="rosa@example.org", name="Rosa Díaz", language="es",
          mail_list=f"{event.slug}.rally")  # fmt: skip


def test_update_and_its_test_send_are_bulk_mail(
    client, organizer, make_petition, make_signature, smtp_server, reply_to
):
    petition = make_petition(title="Más asientos: ¡ya!", slug="seats")
    make_signature(petition, given="Rosa", family="Díaz", email="rosa@example.org", language="es")
    url = f"/manage/p/{petition.slug}/updates/new"
    data = {"csrf_token": csrf_from(client.get(url).get_data(as_text=True)),
            "subject": "We delivered the petition", "body": "Thank you.",
            "subject_es": "Entregamos la petición", "body_es": "Gracias.",
            "audience": "signers"}  # fmt: skip
    update_url = client.post(url, data=data).headers["Location"]
    organizer.name = "Marisol Ortiz"
    db.session.commit()
    token = csrf_from(client.get(update_url).get_data(as_text=True))
    client.post(f"{update_url}/test", data={"csrf_token": token, "language": "en"})
    client.post(f"{update_url}/send", data={"csrf_token": token})
    test_copy, update = smtp_server
    check(test_copy, to=organizer.email, name="Marisol Ortiz", language="en",
          mail_list="seats.updates")  # fmt: skip
    check(update, to="rosa@example.org", name="Rosa Díaz", language="es",
          mail_list="seats.updates")  # fmt: skip
    # A readable name without the characters a phrase may not hold (RFC 5322 specials).
    assert update["List-Id"] == "Más asientos ¡ya! <seats.updates.localhost>"


def test_invitation_and_password_reset(app, client, make_user, login, smtp_server, reply_to):
    login(make_user("admin"))
    page = client.get("/manage/users").get_data(as_text=True)
    invite = {"email": "rosa@example.org", "name": "Rosa Díaz", "role": "organizer"}
    client.post("/manage/users", data={**invite, "csrf_token": csrf_from(page)})
    user = make_user("organizer", email="bo@example.org")
    user.name = "Bo Li"
    db.session.commit()
    stranger = app.test_client()
    page = stranger.get("/auth/forgot").get_data(as_text=True)
    stranger.post("/auth/forgot", data={"email": "bo@example.org", "csrf_token": csrf_from(page)})
    invite, reset = smtp_server
    assert invite["Subject"] == "You are invited to organize"
    check(invite, to="rosa@example.org", name="Rosa Díaz", language="en")
    assert reset["Subject"] == "Reset your password"
    check(reset, to="bo@example.org", name="Bo Li", language="en")
