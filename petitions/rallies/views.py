"""Rallies, the public side: the event page /e/<slug> with RSVP and calendar file, the
poster sign-in /e/<slug>/here/<key>, and the personal ticket /t/<token> (where staff
also check the holder in). The organizer side is events/manage.py."""

import uuid

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from petitions.core import qr
from petitions.core.content import current_language, localized
from petitions.core.errors import SEND_AGAIN, keeps_form
from petitions.core.extensions import csrf, db, limiter
from petitions.core.extensions import login as login_manager
from petitions.core.i18n import localized_route, switching_language
from petitions.core.responses import private, shared
from petitions.core.tokens import normalize_token
from petitions.core.urls import share_url
from petitions.models import Event, EventState, EventStatus
from petitions.petition.signing import SignStatus
from petitions.rallies import checkin
from petitions.rallies import events as rally_events
from petitions.rallies import mail as rally_mail
from petitions.rallies import rsvp as rsvps
from petitions.rallies.calendar import ics
from petitions.rallies.dates import local_time, when_text
from petitions.rallies.forms import AttendForm
from petitions.rallies.loaders import event_or_404
from petitions.rallies.rsvp import RsvpStatus
from petitions.rallies.scanner_forms import TicketCheckInForm

bp = Blueprint("events", __name__)


# --- limits (read from config at request time; see docs/rallies.md) ---------------------


def _ticket_guess_limit() -> str:
    return current_app.config["RATELIMIT_TICKET_GUESS"]


def _rsvp_limit() -> str:
    return current_app.config["RATELIMIT_RSVP_PER_IP"]


def _signin_limit() -> str:
    return current_app.config["RATELIMIT_SIGNIN_PER_IP"]


def _is_not_post() -> bool:
    return request.method != "POST"


# --- helpers -----------------------------------------------------------------------------


@bp.app_context_processor
def _helpers():
    return {"event_when": when_text, "event_local_time": local_time}


def _load_public(slug: str) -> Event:
    """Drafts are 404 to the public (organizers see a preview)."""
    event = event_or_404(slug)
    if event.status == EventStatus.DRAFT and not (
        current_user.is_authenticated and current_user.can_organize
    ):
        abort(404)
    return event


def _after_sign(result: rsvps.RsvpResult) -> None:
    """Mail the confirm link when the linked petition was signed with the RSVP."""
    rally_mail.send_signature_confirmation(result, str(get_locale() or "en"))


def _sign_message(result: rsvps.RsvpResult) -> None:
    messages = {
        SignStatus.SIGNED: _("Thank you: you also signed the petition."),
        SignStatus.PENDING: _("Please confirm your signature with the link we emailed you."),
        SignStatus.DUPLICATE: _("You had already signed the petition. Thank you!"),
        SignStatus.CLOSED: _("The petition is not taking signatures right now."),
        SignStatus.FULL_HOUSEHOLD: _(
            "Several people have already signed the petition with this email address."
        ),
    }
    if result.sign_status in messages:
        flash(messages[result.sign_status], "ok" if result.signed_petition else "error")


def _sent(event: Event, sent_ok: bool):
    """The "check your email" page (its ?failed says the mail did not go out)."""
    return redirect(url_for("events.sent", slug=event.slug, failed=None if sent_ok else 1))


# --- event page, RSVP, calendar -----------------------------------------------------------


def _rsvp_form_again(slug: str):
    event = _load_public(slug)
    return _event_page(event, event.rsvp_state(), AttendForm(event=event, household=True))


@localized_route(bp, "/e/<slug>", methods=["GET", "POST"])
@shared()
@csrf.exempt  # a public form: refused from other sites by petitions/origin.py instead
@limiter.limit(_rsvp_limit, exempt_when=_is_not_post)
@keeps_form(_rsvp_form_again, SEND_AGAIN)
def event_page(slug: str):
    event = _load_public(slug)
    state = event.rsvp_state()
    form = AttendForm(event=event, household=True)
    if request.method == "POST":
        if state not in (EventState.OPEN, EventState.FULL):
            return _event_page(event, state, form, 409)
        if not form.validate_on_submit():
            return _event_page(event, state, form, 400)
        if switching_language():  # the form's language button: shown again, nothing sent
            return _event_page(event, state, form)
        result = rsvps.rsvp(event, language=current_language(), **form.attendee())
        if result.status in (RsvpStatus.FULL, RsvpStatus.CLOSED):
            db.session.rollback()
            return _event_page(event, event.rsvp_state(), form, 409)
        if result.status == RsvpStatus.NO_ROOM:
            db.session.rollback()
            form.party_size.errors = [
                ngettext(
                    "Only %(num)d place is left. Please choose a smaller party, "
                    "or RSVP for those who can come.",
                    "Only %(num)d places are left. Please choose a smaller party, "
                    "or RSVP for those who can come.",
                    result.places_left,
                )
            ]
            return _event_page(event, state, form, 400)
        if result.status == RsvpStatus.REVOKED:
            db.session.rollback()
            flash(_("This RSVP was cancelled by the organizers. Please contact them."), "error")
            return redirect(url_for("events.event_page", slug=event.slug))
        db.session.commit()
        if result.status == RsvpStatus.DUPLICATE:
            return _sent(
                event, rally_mail.send_ticket(event, result.attendee, result.token, resent=True)
            )
        _after_sign(result)
        _sign_message(result)
        if not rally_mail.send_ticket(event, result.attendee, result.token):
            flash(_("We could not email your ticket just now. Keep this page open."), "error")
        return redirect(url_for("events.ticket", token=result.token))
    return _event_page(event, state, form)


def _event_page(event: Event, state: str, form: AttendForm, status: int = 200):
    return (
        render_template(
            "rallies/event.html",
            event=event,
            state=state,
            form=form,
            map_url=rally_events.map_url(event),
            preview=event.status == EventStatus.DRAFT,
        ),
        status,
    )


@localized_route(bp, "/e/<slug>/sent", methods=["GET"])
def sent(slug: str):
    event = _load_public(slug)
    return render_template(
        "rallies/sent.html", event=event, failed=bool(request.args.get("failed"))
    )


@localized_route(bp, "/e/<slug>.ics", methods=["GET"])
@shared()
def event_ics(slug: str):
    """The calendar file, in the language of its URL (`/es/e/<slug>.ics`), a shared page
    like the event page: `/e/<slug>.ics`, which calendars already subscribe to, follows
    Accept-Language as /e/<slug> does."""
    event = _load_public(slug)
    if event.status == EventStatus.DRAFT:
        abort(404)
    url = share_url("events.event_page", slug=event.slug)
    meeting_point = localized(event, "meeting_point")
    parts = [
        meeting_point and f"{_('Meeting point')}: {meeting_point}",
        localized(event, "route_notes"),
        url,
    ]
    host = url.split("/")[2] if "://" in url else "petitions.local"
    body = ics(event, url, "\n\n".join(p for p in parts if p), host, name=localized(event, "name"))
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"'},
    )


# --- poster sign-in ("I'm here") ---------------------------------------------------------


def _signin_form_again(slug: str, key: str):
    event = event_or_404(slug)
    return _signin_page(event, event.signin_state(), AttendForm(event=event))


@localized_route(bp, "/e/<slug>/here/<key>", methods=["GET", "POST"])
@shared()
@csrf.exempt  # a public form: refused from other sites by petitions/origin.py instead
@limiter.limit(_signin_limit, exempt_when=_is_not_post)
@keeps_form(_signin_form_again, SEND_AGAIN)
def signin(slug: str, key: str):
    event = event_or_404(slug)
    if event.status == EventStatus.DRAFT:
        abort(404)
    if not rally_events.signin_key_matches(event, key):
        return render_template("rallies/outdated.html", event=event), 410
    state = event.signin_state()
    form = AttendForm(event=event)
    if request.method == "POST":
        if state != EventState.OPEN:
            return _signin_page(event, state, form, 409)
        if not form.validate_on_submit():
            return _signin_page(event, state, form, 400)
        if switching_language():  # the form's language button: shown again, nobody signed in
            return _signin_page(event, state, form)
        result = rsvps.sign_in(event, language=current_language(), **form.attendee())
        if result.status == RsvpStatus.CLOSED:
            db.session.rollback()
            return _signin_page(event, event.signin_state(), form, 409)
        if result.status == RsvpStatus.REVOKED:
            db.session.rollback()
            flash(_("This RSVP was cancelled by the organizers. Please see the welcome table."))
            return redirect(url_for("events.signin", slug=event.slug, key=event.signin_key))
        attendee = result.attendee
        own = attendee.walk_up or rsvps.same_person(
            attendee, form.given_name.data, form.family_name.data
        )
        db.session.commit()
        _after_sign(result)
        sent_ok = rally_mail.send_ticket(event, attendee, result.token, resent=not attendee.walk_up)
        if not own:
            # An RSVP under this email in another name (a household): checked in, but the
            # ticket is only mailed to the address on the RSVP, never shown here.
            return _sent(event, sent_ok)
        _sign_message(result)
        if result.status == RsvpStatus.ALREADY:
            flash(_("You were already checked in. Welcome back!"), "ok")
        else:
            flash(_("You're checked in. Welcome!"), "ok")
        return redirect(url_for("events.ticket", token=result.token))
    return _signin_page(event, state, form)


def _signin_page(event, state, form, status=200):
    return (
        render_template("rallies/signin.html", event=event, state=state, form=form),
        status,
    )


# --- the personal ticket, and the staff's "Check in" on it --------------------------------


def _not_found(response) -> bool:
    return response.status_code == 404


@localized_route(bp, "/t/<token>", methods=["GET", "POST"])
@limiter.limit(_ticket_guess_limit, deduct_when=_not_found)
@private
def ticket(token: str):
    """GET: the holder's ticket (with a "Check in" button for staff who are logged in).
    POST: that button (staff only): a phone's own camera app as the scanner."""
    if request.method == "POST":
        return _check_in(token)
    attendee = rsvps.find_by_token(token)
    if attendee is None:
        return render_template("rallies/unknown_ticket.html"), 404
    canonical = normalize_token(token)
    if canonical != token:
        return redirect(url_for("events.ticket", token=canonical))
    event = attendee.event
    url = rally_mail.ticket_url(token)
    staff = current_user.is_authenticated
    html = render_template(
        "rallies/ticket.html",
        event=event,
        attendee=attendee,
        token=token,
        ticket_url=url,
        qr_svg=qr.svg(url, label=_("Your ticket QR code")),
        map_url=rally_events.map_url(event),
        # The nonce makes a double tap on "Check in" count once.
        checkin_form=TicketCheckInForm(formdata=None, nonce=uuid.uuid4().hex) if staff else None,
    )
    return html, {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _check_in(token: str):
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    form = TicketCheckInForm()
    if not form.validate_on_submit():
        return render_template("rallies/ticket_result.html", result=None, token=token), 400
    result = checkin.check_in(
        token,
        form.nonce.data,
        current_user,
        device="ticket page: " + request.user_agent.string,
    )
    db.session.commit()
    status = 404 if result.result == checkin.UNKNOWN else 200
    return render_template("rallies/ticket_result.html", result=result, token=token), status
