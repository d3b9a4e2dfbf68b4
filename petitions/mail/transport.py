"""Outgoing mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.
Messages are made by petitions.mail.message.build_message.

Sending never raises: a mail server that is down, refuses the login or the address, or
an outbox that cannot be written is logged here, and the caller gets False. What was
saved before the mail (a signature, an RSVP) stays saved; the caller tells the person
and offers a way to try again."""

import logging
import smtplib
import socket
import uuid
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Attempt:
    """What came of handing one message to the server.

    `permanent`: the server refused this message or its recipient for good (a 5xx reply
    to it), so trying again would get the same answer. `server_down`: nothing can go out
    just now (unreachable, timed out, the session dropped, a 421 or a refused login), so
    the other messages of a send should wait too. `reason` is in plain words, for an
    organizer's page: no driver text, no addresses."""

    sent: bool
    permanent: bool = False
    server_down: bool = False
    reason: str = ""


SENT = Attempt(sent=True)


def _reply_code(error: smtplib.SMTPException) -> int:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return min(codes) if codes else 0  # a 4xx among them: worth another try
    return int(getattr(error, "smtp_code", 0) or 0)


def classify(error: BaseException) -> Attempt:
    """The Attempt a failed send was (see Attempt)."""
    if isinstance(error, socket.timeout | TimeoutError):
        return Attempt(False, server_down=True, reason="the mail server did not answer in time")
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Attempt(False, server_down=True, reason="the mail server closed the connection")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return Attempt(False, server_down=True, reason="the mail server refused our login")
    if isinstance(error, smtplib.SMTPException):
        code = _reply_code(error)
        if isinstance(error, smtplib.SMTPConnectError) or code == 421:
            return Attempt(False, server_down=True, reason="the mail server is not taking mail now")
        if 500 <= code < 600:
            what = "address" if isinstance(error, smtplib.SMTPRecipientsRefused) else "message"
            return Attempt(False, permanent=True, reason=f"the mail server refused this {what}")
        return Attempt(False, reason="the mail server asked us to try again later")
    if isinstance(error, ConnectionError):
        return Attempt(False, server_down=True, reason="the mail server could not be reached")
    if isinstance(error, OSError):  # no route, DNS, TLS, or the outbox's disk
        return Attempt(False, server_down=True, reason="the mail could not be handed over")
    raise error


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

    def attempt(self, msg: EmailMessage, quiet: bool = False) -> Attempt:
        """Send (or file) the message; what came of it. A failure is logged, with its
        traceback unless `quiet` (a bulk send logs an unreachable server once itself)."""
        try:
            self._deliver(msg)
        except (OSError, smtplib.SMTPException) as e:  # socket, TLS, SMTP replies, the disk
            outcome = classify(e)
            if quiet:
                log.warning(
                    "could not send the mail %r: %s: %s", msg["Subject"], type(e).__name__, e
                )
            else:
                log.exception("could not send the mail %r", msg["Subject"])
            if isinstance(self._smtp, smtplib.SMTP) and not _alive(self._smtp):
                self.close()
            return outcome
        return SENT

    def send(self, msg: EmailMessage) -> bool:
        """Send (or file) the message; False, logged, when that failed."""
        return self.attempt(msg).sent

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
