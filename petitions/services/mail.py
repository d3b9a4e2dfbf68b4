"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.

Sending never raises: a mail server that is down, refuses the login or the address, or
an outbox that cannot be written is logged here, and the caller gets False. What was
saved before the mail (a signature, an RSVP) stays saved; the caller tells the person
and offers a way to try again."""

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    inline_images: dict[str, bytes] | None = None,
) -> EmailMessage:
    """A plain-text mail with an optional HTML part; inline_images maps a Content-ID
    (referenced in the HTML as cid:<id>) to PNG bytes."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="petitions.local")
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[-1]
        for cid, data in (inline_images or {}).items():
            html_part.add_related(data, maintype="image", subtype="png", cid=f"<{cid}>")
    return msg


def _deliver(msg: EmailMessage) -> None:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(msg)
        return
    outbox = Path(config.get("OUTBOX_DIR") or Path(current_app.instance_path) / "outbox")
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(msg))


def send(msg: EmailMessage) -> bool:
    """Send (or file) the message; False, logged, when that failed."""
    try:
        _deliver(msg)
    except (OSError, smtplib.SMTPException):  # socket, TLS, SMTP replies, the outbox disk
        log.exception("could not send the mail %r", msg["Subject"])
        return False
    return True


def send_mail(to, subject, text, html=None, inline_images=None) -> bool:
    return send(build_message(to, subject, text, html, inline_images))
