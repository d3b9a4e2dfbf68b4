"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.
Messages are made by petitions.mail.message.build_message.

Sending never raises: a mail server that is down, refuses the login or the address, or
an outbox that cannot be written is logged here, and the caller gets False. What was
saved before the mail (a signature, an RSVP) stays saved; the caller tells the person
and offers a way to try again."""

import logging
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


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
