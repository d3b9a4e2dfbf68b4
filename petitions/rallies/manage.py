"""Rallies, the organizer side under /manage/e/: create, edit, publish, cancel, the live
dashboard (volunteers see it too), sign-in posters, attendee export. All private."""

import io

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
from flask_login import current_user
from sqlalchemy import select

from petitions.core import sections
from petitions.core.access import organizer_required, staff_required
from petitions.core.charts import bar_chart_svg
from petitions.core.exports import csv_lines, log_export
from petitions.core.extensions import db
from petitions.core.responses import form_page, no_store
from petitions.core.text import sanitize_html
from petitions.core.timezones import iso_utc, utc_to_local
from petitions.mail import mailings
from petitions.models import Attendee, Event, EventStatus, Petition
from petitions.models.base import utcnow
from petitions.models.event import DEFAULT_MAX_PARTY_SIZE
from petitions.operations import retention
from petitions.rallies import events as rally_events
from petitions.rallies import mail as rally_mail
from petitions.rallies import rsvp as rsvps
from petitions.rallies import stats as rally_stats
from petitions.rallies.dates import when_text
from petitions.rallies.forms import EventForm
from petitions.rallies.loaders import event_or_404
from petitions.rallies.mail import signin_url
from petitions.rallies.poster import PAPER, PosterData, render_poster

bp = Blueprint("manage_events", __name__)
bp.after_request(no_store)
sections.add(bp, "manage_nav", "rallies/_manage_nav.html", order=10)
# Every role's landing page: today's and upcoming rallies, each with its scanner.
sections.add(bp, "manage_index", "rallies/_coming_up.html", order=10)

ATTENDEE_PAGE = 200  # rows on the dashboard list; the CSV has them all


def _petitions():
    return db.session.scalars(select(Petition).order_by(Petition.created_at.desc())).all()


@bp.app_template_global("rallies_coming_up")
def coming_up():
    return rally_events.coming_up()


@bp.get("/")
@staff_required
def index():
    events = db.session.scalars(select(Event).order_by(Event.starts_at.desc())).all()
    return render_template("rallies/manage_list.html", events=events)


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
    event.interpretation_languages = ",".join(form.interpretation_languages.data or [])
    event.max_party_size = form.max_party_size.data or DEFAULT_MAX_PARTY_SIZE
    event.retention_days = form.retention_days.data
    event.name_es = form.name_es.data or ""
    event.description_es = sanitize_html(form.description_es.data or "")
    event.meeting_point_es = form.meeting_point_es.data or ""
    event.route_notes_es = form.route_notes_es.data or ""
    event.reminder_hours = ",".join(str(h) for h in form.reminder_hours_list)


def _start(mailing_id: int | None) -> None:
    """Send a change notice made by the request, after its commit."""
    if mailing_id is not None:
        mailings.start(mailing_id)


def _local(event: Event, t):
    """A stored moment as the naive wall-clock time the form shows, in the event's zone."""
    return utc_to_local(t, event.timezone).replace(tzinfo=None) if t else None


@bp.route("/new", methods=["GET", "POST"])
@organizer_required
def new():
    form = EventForm(petitions=_petitions())
    if request.method == "GET":
        form.timezone.data = current_app.config["DEFAULT_TIMEZONE"]
    if form.validate_on_submit():
        event = rally_events.create_event(
            name=form.name.data, slug=form.slug.data, starts_at=form.starts_utc
        )
        _apply(form, event)
        db.session.commit()
        flash(f"Created “{event.name}” as a draft. Publish it when it is ready.", "ok")
        return redirect(url_for(".dashboard", slug=event.slug))
    return form_page("rallies/manage_form.html", form, event=None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@organizer_required
def edit(slug: str):
    event = event_or_404(slug)
    form = EventForm(petitions=_petitions(), event_id=event.id)
    if request.method == "GET":
        form.fill(event, _local(event, event.starts_at), _local(event, event.ends_at))
    if form.validate_on_submit():
        before = rally_mail.what_attendees_know(event)
        _apply(form, event)
        db.session.flush()
        notice = rally_mail.notify_change(event, before)
        db.session.commit()
        _start(notice)
        flash("Saved." + (" Everyone with an RSVP is told of the change." if notice else ""), "ok")
        return redirect(url_for(".dashboard", slug=event.slug))
    return form_page("rallies/manage_form.html", form, event=event)


@bp.post("/<slug>/publish")
@organizer_required
def publish(slug: str):
    event = event_or_404(slug)
    if event.status == EventStatus.CANCELLED:
        flash("A cancelled event cannot be published again; create a new one.", "error")
    else:
        event.status = EventStatus.PUBLISHED
        db.session.commit()
        flash("Published: the event page and RSVP are open.", "ok")
    return redirect(url_for(".dashboard", slug=event.slug))


@bp.post("/<slug>/cancel")
@organizer_required
def cancel(slug: str):
    event = event_or_404(slug)
    was_published = event.status == EventStatus.PUBLISHED
    event.status = EventStatus.CANCELLED
    db.session.flush()
    notice = rally_mail.notify_cancelled(event) if was_published else None
    db.session.commit()
    _start(notice)
    flash("Cancelled: the event page now says so and takes no RSVPs or sign-ins.", "ok")
    return redirect(url_for(".dashboard", slug=event.slug))


@bp.post("/<slug>/rotate-key")
@organizer_required
def rotate_key(slug: str):
    event = event_or_404(slug)
    rally_events.rotate_signin_key(event)
    db.session.commit()
    flash("New sign-in key: posters printed before now no longer work. Print new ones.", "ok")
    return redirect(url_for(".dashboard", slug=event.slug))


@bp.post("/<slug>/attendees/<int:attendee_id>/revoke")
@organizer_required
def revoke(slug: str, attendee_id: int):
    event = event_or_404(slug)
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None or attendee.event_id != event.id:
        abort(404)
    rsvps.revoke(attendee)
    db.session.commit()
    flash(f"Ticket of {attendee.name} revoked.", "ok")
    return redirect(url_for(".dashboard", slug=event.slug))


@bp.get("/<slug>")
@staff_required
def dashboard(slug: str):
    event = event_or_404(slug)
    stats = rally_stats.stats(event)
    q = (request.args.get("q") or "")[:100]
    people = rally_stats.attendees(
        event, q, limit=ATTENDEE_PAGE + 1, by_email=current_user.can_organize
    )
    return render_template(
        "rallies/dashboard.html",
        event=event,
        stats=stats,
        chart=_chart(stats),
        q=q,
        people=people[:ATTENDEE_PAGE],
        more=len(people) > ATTENDEE_PAGE,
        signin_url=signin_url(event),
        can_organize=current_user.can_organize,
        poll_seconds=current_app.config["RALLY_DASHBOARD_POLL_SECONDS"],
        removal_date=retention.event_removal_date(event),
        day=lambda value: utc_to_local(value, event.timezone).strftime("%b %-d, %Y"),
        retention_days=retention.days_for(event),
    )


def _chart(stats):
    return bar_chart_svg(stats.series, "Check-ins per 5 minutes")


@bp.get("/<slug>/stats.json")
@staff_required
def stats_json(slug: str):
    event = event_or_404(slug)
    stats = rally_stats.stats(event)
    return jsonify(**stats.as_dict(), chart_svg=str(_chart(stats)), updated_at=iso_utc(utcnow()))


@bp.get("/<slug>/poster.pdf")
@organizer_required
def poster(slug: str):
    event = event_or_404(slug)
    paper = (request.args.get("paper") or "letter").lower()
    if paper not in PAPER:
        abort(400)
    url = signin_url(event)
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
        headers={"Content-Disposition": f'inline; filename="{event.slug}-poster-{paper}.pdf"'},
    )


@bp.get("/<slug>/attendees.csv")
@organizer_required
def attendees_csv(slug: str):
    event = event_or_404(slug)
    count = rally_stats.attendee_count(event)
    log_export(current_user, "attendees", event.slug, count, petition=event.petition_id)
    db.session.commit()
    rows = rally_stats.export_rows(event)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        stream_with_context(csv_lines(rally_stats.EXPORT_HEADER, rows)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{event.slug}-attendees-{stamp}.csv"'
        },
    )
