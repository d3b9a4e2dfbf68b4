"""Rally mail: the personal ticket, the confirmation of a petition signed with an RSVP,
and the mail to everyone with an RSVP: reminders before the start, and a notice when the
time or place changes or the event is cancelled.

The ticket and confirmation go out after the RSVP or sign-in is committed; sending
failures are handled (and logged) by petitions.mail.transport, and the caller learns of
them from the False it returns. Reminders and notices are mailings (petitions.mail.mailings):
one delivery per attendee, in the language they RSVPed in, sent once. This part registers
their composer and the due-reminder check with mail/ at app setup (init_app)."""

import hashlib
import json
from datetime import datetime, timedelta

from flask import Flask, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from petitions.core import qr
from petitions.core.content import current_language, localized
from petitions.core.extensions import db
from petitions.core.urls import public_url, share_url
from petitions.mail import mailings
from petitions.mail.composer import PLACEHOLDER, personal
from petitions.mail.message import MailList, build_message
from petitions.mail.registry import register_composer, register_due
from petitions.mail.transport import send
from petitions.models import Attendee, Event, EventStatus, Mailing, MailingKind, MailingStatus
from petitions.models.base import utcnow
from petitions.petition import signing
from petitions.rallies import tickets
from petitions.rallies.rsvp import RsvpResult

MAX_REMINDER_HOURS = 14 * 24
# What an attendee acts on: a change to any of these is worth a notice.
NOTICE_FIELDS = (
    "starts_at", "ends_at", "timezone", "place", "address", "meeting_point", "meeting_point_es",
)  # fmt: skip


def init_app(app: Flask) -> None:
    for kind in (MailingKind.REMINDER, MailingKind.EVENT_CHANGED, MailingKind.EVENT_CANCELLED):
        register_composer(app, kind, rally_composer)
    register_due(app, queue_due_reminders)


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
    message = build_message(
        attendee.email,
        _("Your ticket: %(name)s", name=localized(event, "name")),
        render_template("rallies/mail/ticket.txt", **context),
        render_template("rallies/mail/ticket.html", **context),
        language=current_language(),
        to_name=attendee.name,
        inline_images={"qr": qr.png(url)},
    )
    return send(message)


def send_signature_confirmation(result: RsvpResult, lang: str) -> bool:
    """The confirm link, when signing the linked petition with the RSVP waits for one."""
    if result.sign_status != "pending" or result.signature is None:
        return True
    return send(signing.confirmation_message(result.signature, lang))


# --- reminders and notices to everyone with an RSVP --------------------------------------


def parse_reminder_hours(text: str) -> list[int]:
    """ "24, 2" → [24, 2]: whole hours before the start, largest first. Raises ValueError."""
    hours = set()
    for part in text.replace(";", ",").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_REMINDER_HOURS:
            raise ValueError(
                f"Give whole hours from 1 to {MAX_REMINDER_HOURS}, separated by commas, e.g. 24, 2."
            )
        hours.add(int(part))
    return sorted(hours, reverse=True)


def _recipients(event: Event):
    rows = db.session.execute(
        select(Attendee.id, Attendee.email, Attendee.language, Attendee.name)
        .where(Attendee.event_id == event.id, Attendee.revoked.is_(False), Attendee.email != "")
        .order_by(Attendee.id)
    )
    for attendee_id, email, language, name in rows:
        yield mailings.Recipient(email=email, language=language, name=name, attendee_id=attendee_id)


def _mailing_for(event: Event, key: str, kind: str, note: str = "") -> int | None:
    """A mailing to the event's attendees under `key`, queued now; its id when new."""
    mailing, created = mailings.create_mailing(
        key,
        kind=kind,
        event_id=event.id,
        audience="attendees",
        status=MailingStatus.SCHEDULED,
        recipients=0,
        delivered=0,
        failed=0,
        note=note,
    )
    if not created:
        return None
    if mailings.queue(mailing, _recipients(event)) == 0:
        mailing.status = MailingStatus.EMPTY
        return None
    return mailing.id


def what_attendees_know(event: Event) -> dict:
    """The facts a change notice is about, as they stand (call before editing)."""
    return {f: getattr(event, f) for f in NOTICE_FIELDS}


def notify_change(event: Event, before: dict, now: datetime | None = None) -> int | None:
    """After an edit: when the time or place of a published, upcoming event changed, a
    notice to everyone with an RSVP (once per resulting state). Its mailing id, or None."""
    after = what_attendees_know(event)
    if event.status != EventStatus.PUBLISHED or after == before:
        return None
    if event.starts_at <= (now or utcnow()):
        return None
    digest = hashlib.sha256(repr(sorted(after.items())).encode()).hexdigest()[:16]
    note = json.dumps({k: str(v) if v is not None else "" for k, v in before.items()})
    return _mailing_for(event, f"changed:{event.id}:{digest}", MailingKind.EVENT_CHANGED, note)


def notify_cancelled(event: Event) -> int | None:
    return _mailing_for(event, f"cancelled:{event.id}", MailingKind.EVENT_CANCELLED)


def queue_due_reminders(now: datetime) -> list[int]:
    """Reminders due at `now`: for each upcoming published event, the latest of its
    reminder times that has passed (an earlier one not sent in time is not sent late).
    Keyed by the start time too, so a moved event reminds again."""
    started = []
    events = db.session.scalars(
        select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + timedelta(hours=MAX_REMINDER_HOURS),
            Event.reminder_hours != "",
        )
    ).all()
    for event in events:
        try:
            hours = parse_reminder_hours(event.reminder_hours)
        except ValueError:
            continue
        due = [h for h in hours if event.starts_at - timedelta(hours=h) <= now]
        if not due:
            continue
        h = min(due)
        key = f"reminder:{event.id}:{h}:{event.starts_at:%Y%m%dT%H%M}"
        if (mailing_id := _mailing_for(event, key, MailingKind.REMINDER)) is not None:
            started.append(mailing_id)
    return started


_TEMPLATES = {
    MailingKind.REMINDER: "rallies/mail/reminder",
    MailingKind.EVENT_CHANGED: "rallies/mail/changed",
    MailingKind.EVENT_CANCELLED: "rallies/mail/cancelled",
}


# Stands for a reminder's own ticket link in a rendering shared by every recipient.
TICKET_PLACEHOLDER = "TICKET0URL0PLACEHOLDER"


def render_rally_mail(
    mailing: Mailing, event: Event, lang: str, with_ticket: bool = False
) -> tuple[str, str, str]:
    """(subject, text, html); with_ticket: a reminder that shows the recipient's ticket
    link (TICKET_PLACEHOLDER) and QR code (inline image `qr`)."""
    name = localized(event, "name", lang)
    with force_locale(lang):
        before = json.loads(mailing.note) if mailing.note else {}
        context = dict(
            event=event,
            name=name,
            lang=lang,
            meeting_point=localized(event, "meeting_point", lang),
            event_url=public_url("events.event_page", slug=event.slug),
            ticket_url=TICKET_PLACEHOLDER if with_ticket else None,
            unsubscribe_url=PLACEHOLDER,
            time_changed=before.get("starts_at", str(event.starts_at)) != str(event.starts_at)
            or before.get("ends_at", str(event.ends_at or "")) != str(event.ends_at or ""),
        )
        subject = {
            MailingKind.REMINDER: _("Reminder: %(name)s", name=name),
            MailingKind.EVENT_CHANGED: _("Changed: %(name)s", name=name),
            MailingKind.EVENT_CANCELLED: _("Cancelled: %(name)s", name=name),
        }[mailing.kind]
        base = _TEMPLATES[mailing.kind]
        return (
            subject,
            render_template(f"{base}.txt", **context),
            render_template(f"{base}.html", **context),
        )


def _ticket_of(row) -> str | None:
    """The ticket token of a delivery's attendee, when it can be unsealed and still works."""
    attendee = db.session.get(Attendee, row.attendee_id) if row.attendee_id else None
    if attendee is None or attendee.revoked:
        return None
    return tickets.unseal(attendee.ticket_sealed)


def mail_list(event: Event, lang: str) -> MailList:
    """Everything sent to one event's attendees is one list: `<slug.rally.DOMAIN>`."""
    return MailList(f"{event.slug}.rally", str(localized(event, "name", lang)))


def rally_composer(mailing: Mailing):
    event = db.session.get(Event, mailing.event_id)
    cache: dict[tuple[str, bool], tuple[str, str, str]] = {}

    def compose(row):
        if event is None or (
            mailing.kind == MailingKind.REMINDER and event.status != EventStatus.PUBLISHED
        ):
            return None  # deleted or cancelled since: no reminder
        ticket = _ticket_of(row) if mailing.kind == MailingKind.REMINDER else None
        key = (row.language, ticket is not None)
        if key not in cache:
            cache[key] = render_rally_mail(mailing, event, *key)
        subject, text, html = cache[key]
        images = None
        if ticket is not None:  # a reminder of one's own: the ticket's link and QR code
            url = ticket_url(ticket)
            text = text.replace(TICKET_PLACEHOLDER, url)
            html = html.replace(TICKET_PLACEHOLDER, url)
            images = {"qr": qr.png(url)}
        return personal(
            row.email, row.language, row.unsubscribe_token, (subject, text, html),
            mail_list(event, row.language), to_name=row.name, inline_images=images,
        )  # fmt: skip

    return compose
