"""Rally mail: the personal ticket, and the confirmation of a petition signed with an RSVP.

Both go out after the RSVP or sign-in is committed; sending failures are handled (and
logged) by services.mail, and the caller learns of them from the False it returns."""

from flask import render_template
from flask_babel import gettext as _

from .. import qr
from ..models import Attendee, Event
from ..urls import public_url, share_url
from . import mail, signing
from .rallies import RsvpResult


def ticket_url(token: str) -> str:
    return public_url("events.ticket", token=token)


def signin_url(event: Event) -> str:
    return share_url("events.signin", slug=event.slug, key=event.signin_key)


def send_ticket(event: Event, attendee: Attendee, token: str, resent: bool = False) -> bool:
    """Mail the ticket in the current language; False when sending failed."""
    url = ticket_url(token)
    context = dict(
        event=event,
        attendee=attendee,
        ticket_url=url,
        event_url=share_url("events.event_page", slug=event.slug),
        resent=resent,
    )
    return mail.send_mail(
        attendee.email,
        _("Your ticket: %(name)s", name=event.name),
        render_template("events/mail/ticket.txt", **context),
        render_template("events/mail/ticket.html", **context),
        inline_images={"qr": qr.png(url)},
    )


def send_signature_confirmation(result: RsvpResult, lang: str) -> bool:
    """The confirm link, when signing the linked petition with the RSVP waits for one."""
    if result.sign_status != "pending" or result.signature is None:
        return True
    return mail.send(signing.confirmation_message(result.signature, lang))
