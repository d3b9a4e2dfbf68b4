"""Rallies: organizer pages under /manage/e/, the public event page /e/<slug> with RSVP,
the poster sign-in /e/<slug>/here/<key>, and personal tickets /t/<token>."""

import io
import logging
from datetime import datetime

from babel.dates import format_date, format_time, get_timezone_name
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import qr
from ..auth.decorators import organizer_required, staff_required
from ..charts import bar_chart_svg
from ..extensions import db, limiter
from ..loaders import event_or_404
from ..models import Attendee, Event, EventStatus, Petition
from ..models.base import utcnow
from ..pdf.poster import PAPER, PosterData, render_poster
from ..services import rallies
from ..services.exports import csv_lines, log_export
from ..services.mail import send_mail
from ..services.signing import send_confirmation
from ..services.text import sanitize_html
from ..services.tokens import normalize_token
from ..urls import public_url
from .forms import AttendForm, EventForm

bp = Blueprint("events", __name__)
log = logging.getLogger(__name__)

ATTENDEE_PAGE = 200  # rows on the dashboard list; the CSV has them all


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


def _locale() -> str:
    return str(get_locale() or "en")


def when_text(event: Event, locale: str | None = None) -> str:
    """'Saturday, March 14, 2026 · 11:00 AM – 1:00 PM EDT' in the event's time zone."""
    locale = locale or _locale()
    start = rallies.utc_to_local(event.starts_at, event.timezone)
    end = rallies.utc_to_local(event.ends_at, event.timezone)
    text = f"{format_date(start, 'full', locale=locale)} · {format_time(start, 'short', locale=locale)}"
    if end is not None:
        if end.date() == start.date():
            text += f" – {format_time(end, 'short', locale=locale)}"
        else:
            text += (
                f" – {format_date(end, 'full', locale=locale)} "
                f"{format_time(end, 'short', locale=locale)}"
            )
    zone = start.tzname() or get_timezone_name(start.tzinfo, locale=locale)
    return f"{text} ({zone})"


def local_time(event: Event, t: datetime | None, locale: str | None = None) -> str:
    if t is None:
        return ""
    return format_time(rallies.utc_to_local(t, event.timezone), "short", locale=locale or _locale())


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


def _ticket_url(token: str) -> str:
    return public_url("events.ticket", token=token)


def _signin_url(event: Event) -> str:
    return public_url("events.signin", slug=event.slug, key=event.signin_key)


def _send_ticket(event: Event, attendee: Attendee, token: str, resent: bool = False) -> bool:
    """Mail the ticket in the visitor's current language; False when sending failed."""
    url = _ticket_url(token)
    context = dict(
        event=event,
        attendee=attendee,
        ticket_url=url,
        event_url=public_url("events.event_page", slug=event.slug),
        resent=resent,
    )
    subject = _("Your ticket: %(name)s", name=event.name)
    text = render_template("events/mail/ticket.txt", **context)
    html = render_template("events/mail/ticket.html", **context)
    try:
        send_mail(attendee.email, subject, text, html, inline_images={"qr": qr.png(url)})
    except Exception:  # an SMTP outage must not lose the RSVP, which is committed already
        log.exception("could not mail the ticket for event %s", event.slug)
        return False
    return True


def _after_sign(result) -> None:
    if result.sign_status == "pending" and result.signature is not None:
        try:
            send_confirmation(result.signature, _locale())
        except Exception:
            log.exception("could not mail the signature confirmation")


def _sign_message(status: str | None) -> None:
    messages = {
        "signed": _("Thank you: you also signed the petition."),
        "pending": _("Please confirm your signature with the link we emailed you."),
        "duplicate": _("You had already signed the petition. Thank you!"),
        "closed": _("The petition is not taking signatures right now."),
        "full_household": _(
            "Several people have already signed the petition with this email address."
        ),
    }
    if status in messages:
        flash(messages[status], "ok" if status in ("signed", "pending", "duplicate") else "error")


# --- public: event page, RSVP, calendar -------------------------------------------------


@bp.route("/e/<slug>", methods=["GET", "POST"])
@limiter.limit(_rsvp_limit, exempt_when=_is_not_post)
def event_page(slug: str):
    event = _load_public(slug)
    state = rallies.rsvp_state(event)
    form = AttendForm(event=event)
    if request.method == "POST":
        if state not in ("open", "full"):
            return _event_page(event, state, form, 409)
        if not form.validate_on_submit():
            return _event_page(event, state, form, 400)
        result = rallies.rsvp(event, **form.attendee())
        if result.status in ("full", "closed"):
            db.session.rollback()
            return _event_page(event, rallies.rsvp_state(event), form, 409)
        if result.status == "revoked":
            db.session.rollback()
            flash(_("This RSVP was cancelled by the organizers. Please contact them."), "error")
            return redirect(url_for("events.event_page", slug=event.slug))
        db.session.commit()
        if result.status == "duplicate":
            sent = _send_ticket(event, result.attendee, result.token, resent=True)
            return redirect(url_for("events.sent", slug=event.slug, failed=None if sent else 1))
        _after_sign(result)
        _sign_message(result.sign_status)
        if not _send_ticket(event, result.attendee, result.token):
            flash(_("We could not email your ticket just now. Keep this page open."), "error")
        return redirect(url_for("events.ticket", token=result.token))
    return _event_page(event, state, form)


def _event_page(event: Event, state: str, form: AttendForm, status: int = 200):
    return (
        render_template(
            "events/event.html",
            event=event,
            state=state,
            form=form,
            map_url=rallies.map_url(event),
            preview=event.status == EventStatus.DRAFT,
        ),
        status,
    )


@bp.get("/e/<slug>/sent")
def sent(slug: str):
    event = _load_public(slug)
    return render_template("events/sent.html", event=event, failed=bool(request.args.get("failed")))


@bp.get("/e/<slug>.ics")
def event_ics(slug: str):
    event = _load_public(slug)
    if event.status == EventStatus.DRAFT:
        abort(404)
    url = public_url("events.event_page", slug=event.slug)
    parts = [
        event.meeting_point and f"Meeting point: {event.meeting_point}",
        event.route_notes,
        url,
    ]
    host = url.split("/")[2] if "://" in url else "petitions.local"
    body = rallies.ics(event, url, "\n\n".join(p for p in parts if p), host)
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}.ics"',
            "Cache-Control": "public, max-age=300",
        },
    )


# --- public: poster sign-in ("I'm here") ------------------------------------------------


@bp.route("/e/<slug>/here/<key>", methods=["GET", "POST"])
@limiter.limit(_signin_limit, exempt_when=_is_not_post)
def signin(slug: str, key: str):
    event = event_or_404(slug)
    if event.status == EventStatus.DRAFT:
        abort(404)
    if not rallies.signin_key_matches(event, key):
        return render_template("events/outdated.html", event=event), 410
    state = rallies.signin_state(event)
    form = AttendForm(event=event)
    if request.method == "POST":
        if state != "open":
            return _signin_page(event, state, form, 409)
        if not form.validate_on_submit():
            return _signin_page(event, state, form, 400)
        result = rallies.sign_in(event, **form.attendee())
        if result.status == "closed":
            db.session.rollback()
            return _signin_page(event, rallies.signin_state(event), form, 409)
        if result.status == "revoked":
            db.session.rollback()
            flash(_("This RSVP was cancelled by the organizers. Please see the welcome table."))
            return redirect(url_for("events.signin", slug=event.slug, key=event.signin_key))
        attendee = result.attendee
        own = attendee.walk_up or rallies.same_person(
            attendee, form.given_name.data, form.family_name.data
        )
        db.session.commit()
        _after_sign(result)
        sent_ok = _send_ticket(event, attendee, result.token, resent=not attendee.walk_up)
        if not own:
            # An RSVP under this email in another name (a household): checked in, but the
            # ticket is only mailed to the address on the RSVP, never shown here.
            return redirect(url_for("events.sent", slug=event.slug, failed=None if sent_ok else 1))
        _sign_message(result.sign_status)
        if result.status == "already":
            flash(_("You were already checked in. Welcome back!"), "ok")
        else:
            flash(_("You're checked in. Welcome!"), "ok")
        return redirect(url_for("events.ticket", token=result.token))
    return _signin_page(event, state, form)


def _signin_page(event, state, form, status=200):
    return (
        render_template("events/signin.html", event=event, state=state, form=form),
        status,
    )


# --- public: the personal ticket -----------------------------------------------------------


def _not_found(response) -> bool:
    return response.status_code == 404


@bp.get("/t/<token>")
@limiter.limit(_ticket_guess_limit, deduct_when=_not_found)
def ticket(token: str):
    attendee = rallies.find_by_token(token)
    if attendee is None:
        return render_template("events/unknown_ticket.html"), 404
    canonical = normalize_token(token)
    if canonical != token:
        return redirect(url_for("events.ticket", token=canonical))
    event = attendee.event
    response = Response(
        render_template(
            "events/ticket.html",
            event=event,
            attendee=attendee,
            token=token,
            ticket_url=_ticket_url(token),
            qr_svg=qr.svg(_ticket_url(token), label=_("Your ticket QR code")),
            map_url=rallies.map_url(event),
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- organizers ------------------------------------------------------------------------


def _petitions():
    return db.session.scalars(select(Petition).order_by(Petition.created_at.desc())).all()


@bp.get("/manage/e/")
@staff_required
def manage_list():
    events = db.session.scalars(select(Event).order_by(Event.starts_at.desc())).all()
    return render_template("events/manage_list.html", events=events)


def _apply(form: EventForm, event: Event) -> None:
    event.name = form.name.data
    event.slug = form.slug.data
    event.description = sanitize_html(form.description.data or "")
    event.timezone = form.timezone.data
    event.starts_at = form.starts_utc
    event.ends_at = form.ends_utc
    event.place = form.place.data or ""
    event.address = form.address.data or ""
    event.meeting_point = form.meeting_point.data or ""
    event.route_notes = form.route_notes.data or ""
    event.petition_id = form.petition_id.data or None
    event.capacity = form.capacity.data
    event.ask_waitlist = bool(form.ask_waitlist.data)


@bp.route("/manage/e/new", methods=["GET", "POST"])
@organizer_required
def manage_new():
    form = EventForm(petitions=_petitions())
    if request.method == "GET":
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        event = rallies.create_event(
            name=form.name.data, slug=form.slug.data, starts_at=form.starts_utc
        )
        _apply(form, event)
        db.session.commit()
        flash(f"Created “{event.name}” as a draft. Publish it when it is ready.", "ok")
        return redirect(url_for("events.dashboard", slug=event.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("events/manage_form.html", form=form, event=None), status


@bp.route("/manage/e/<slug>/edit", methods=["GET", "POST"])
@organizer_required
def manage_edit(slug: str):
    event = event_or_404(slug)
    form = EventForm(petitions=_petitions(), event_id=event.id)
    if request.method == "GET":
        form.fill(
            event,
            rallies.utc_to_local(event.starts_at, event.timezone).replace(tzinfo=None),
            (
                rallies.utc_to_local(event.ends_at, event.timezone).replace(tzinfo=None)
                if event.ends_at
                else None
            ),
        )
    if form.validate_on_submit():
        _apply(form, event)
        db.session.commit()
        flash("Saved.", "ok")
        return redirect(url_for("events.dashboard", slug=event.slug))
    status = 400 if request.method == "POST" else 200
    return render_template("events/manage_form.html", form=form, event=event), status


@bp.post("/manage/e/<slug>/publish")
@organizer_required
def manage_publish(slug: str):
    event = event_or_404(slug)
    if event.status == EventStatus.CANCELLED:
        flash("A cancelled event cannot be published again; create a new one.", "error")
    else:
        event.status = EventStatus.PUBLISHED
        db.session.commit()
        flash("Published: the event page and RSVP are open.", "ok")
    return redirect(url_for("events.dashboard", slug=event.slug))


@bp.post("/manage/e/<slug>/cancel")
@organizer_required
def manage_cancel(slug: str):
    event = event_or_404(slug)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    flash("Cancelled: the event page now says so and takes no RSVPs or sign-ins.", "ok")
    return redirect(url_for("events.dashboard", slug=event.slug))


@bp.post("/manage/e/<slug>/rotate-key")
@organizer_required
def manage_rotate(slug: str):
    event = event_or_404(slug)
    rallies.rotate_signin_key(event)
    db.session.commit()
    flash("New sign-in key: posters printed before now no longer work. Print new ones.", "ok")
    return redirect(url_for("events.dashboard", slug=event.slug))


@bp.post("/manage/e/<slug>/attendees/<int:attendee_id>/revoke")
@organizer_required
def manage_revoke(slug: str, attendee_id: int):
    event = event_or_404(slug)
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id:
        abort(404)
    rallies.revoke(attendee)
    db.session.commit()
    flash(f"Ticket of {attendee.name} revoked.", "ok")
    return redirect(url_for("events.dashboard", slug=event.slug))


@bp.get("/manage/e/<slug>")
@staff_required
def dashboard(slug: str):
    event = event_or_404(slug)
    stats = rallies.stats(event)
    q = (request.args.get("q") or "")[:100]
    people = rallies.attendees(
        event, q, limit=ATTENDEE_PAGE + 1, by_email=current_user.can_organize
    )
    return render_template(
        "events/dashboard.html",
        event=event,
        stats=stats,
        chart=_chart(stats),
        q=q,
        people=people[:ATTENDEE_PAGE],
        more=len(people) > ATTENDEE_PAGE,
        signin_url=_signin_url(event),
        can_organize=current_user.can_organize,
        poll_seconds=current_app.config["RALLY_DASHBOARD_POLL_SECONDS"],
    )


def _chart(stats):
    return bar_chart_svg(stats.series, "Check-ins per 5 minutes")


@bp.get("/manage/e/<slug>/stats.json")
@staff_required
def dashboard_json(slug: str):
    event = event_or_404(slug)
    stats = rallies.stats(event)
    response = jsonify(
        **stats.as_dict(), chart_svg=str(_chart(stats)), updated_at=utcnow().isoformat() + "Z"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/manage/e/<slug>/poster.pdf")
@organizer_required
def poster(slug: str):
    event = event_or_404(slug)
    paper = (request.args.get("paper") or "letter").lower()
    if paper not in PAPER:
        abort(400)
    url = _signin_url(event)
    where = [x for x in (event.place, event.address) if x]
    if event.meeting_point:
        where.append(event.meeting_point)
    data = PosterData(
        event_name=event.name,
        signin_url=url,
        short_url=url.split("://", 1)[-1],
        when=[when_text(event, "en"), when_text(event, "es")],
        where=where,
        petition_title=event.petition.title if event.petition else "",
    )
    buf = io.BytesIO()
    render_poster(data, buf, paper)
    return Response(
        buf.getvalue(),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{event.slug}-poster-{paper}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/manage/e/<slug>/attendees.csv")
@organizer_required
def attendees_csv(slug: str):
    event = event_or_404(slug)
    count = rallies.attendee_count(event)
    log_export(current_user, "attendees", event.slug, count)
    db.session.commit()
    rows = rallies.export_rows(event)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(csv_lines(rallies.EXPORT_HEADER, rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-attendees-{stamp}.csv"',
            "Cache-Control": "private, no-store",
        },
    )
