"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.

Sending never raises: a mail server that is down, refuses the login or the address, or
an outbox that cannot be written is logged here, and the caller gets False. What was
saved before the mail (a signature, an RSVP) stays saved; the caller tells the person
and offers a way to try again."""

import logging
import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    inline_images: dict[str, bytes] | None = None,
    *,
    language: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text mail with an optional HTML part; inline_images maps a Content-ID
    (referenced in the HTML as cid:<id>) to PNG bytes. `language` sets Content-Language;
    `headers` adds others (List-Unsubscribe, ...)."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=_msgid_domain())
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        html_part = msg.get_payload()[-1]
        for cid, data in (inline_images or {}).items():
            html_part.add_related(data, maintype="image", subtype="png", cid=f"<{cid}>")
    if language:  # after the content: setting it clears Content-* headers
        msg["Content-Language"] = language
    return msg


def _msgid_domain() -> str:
    """The sender's domain, so Message-IDs look like the site's own."""
    sender = parseaddr(current_app.config["MAIL_SENDER"])[1]
    return sender.rpartition("@")[2] or "petitions.local"


def _connect() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


class Connection:
    """One SMTP session for many messages (a bulk send), or the outbox without MAIL_SERVER.

    `send` never raises either: a message the server refuses is logged and reported as
    False; a dropped connection is opened again once for the next message."""

    def __init__(self):
        config = current_app.config
        self._smtp: smtplib.SMTP | None = None
        self._use_smtp = bool(config.get("MAIL_SERVER"))
        self._outbox = Path(config.get("OUTBOX_DIR") or Path(current_app.instance_path) / "outbox")

    def _deliver(self, msg: EmailMessage) -> None:
        if not self._use_smtp:
            self._outbox.mkdir(parents=True, exist_ok=True)
            (self._outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(msg))
            return
        if self._smtp is None:
            self._smtp = _connect()
        try:
            self._smtp.send_message(msg)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            # The session ended (timeouts, a relay's per-connection limit): one new one.
            # A refused recipient or message (SMTPRecipientsRefused, SMTPDataError)
            # is not retried: the same server would refuse it again.
            self.close()
            self._smtp = _connect()
            self._smtp.send_message(msg)

    def send(self, msg: EmailMessage) -> bool:
        """Send (or file) the message; False, logged, when that failed."""
        try:
            self._deliver(msg)
        except (OSError, smtplib.SMTPException):  # socket, TLS, SMTP replies, the outbox disk
            log.exception("could not send the mail %r", msg["Subject"])
            if isinstance(self._smtp, smtplib.SMTP) and not _alive(self._smtp):
                self.close()
            return False
        return True

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _alive(smtp: smtplib.SMTP) -> bool:
    return getattr(smtp, "sock", None) is not None


def send(msg: EmailMessage) -> bool:
    """Send (or file) one message on a connection of its own; False, logged, when that failed."""
    with Connection() as connection:
        return connection.send(msg)


def send_mail(to, subject, text, html=None, inline_images=None) -> bool:
    return send(build_message(to, subject, text, html, inline_images))
