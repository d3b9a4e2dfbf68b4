"""Organizer petition routes: create, edit, preview, publish/close/reopen, dashboard, export.

Every route here is for organizers and admins only (volunteers get 403, anonymous
visitors the login page). Routes stay thin; the rules live in services.petitions
and the queries in services.dashboard.
"""

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from petitions.core import audit, sections
from petitions.core.access import organizer_required, viewer_organizes
from petitions.core.charts import bar_chart_svg
from petitions.core.exports import csv_lines, log_export
from petitions.core.extensions import db
from petitions.core.responses import form_page, no_store
from petitions.core.text import clean_line
from petitions.core.timezones import utc_to_local, zone
from petitions.models import AuditAction, Petition, Signature
from petitions.models.base import utcnow
from petitions.operations import retention
from petitions.petition import counting, dashboard, embeds
from petitions.petition import lifecycle as service
from petitions.petition.loaders import petition_or_404
from petitions.petition.manage_forms import ConfirmForm, PetitionForm
from petitions.petition.views import render_petition_page

bp = Blueprint("manage_petitions", __name__)
bp.after_request(no_store)
# On the /manage/ landing page of organizers and admins: "New petition" and the list.
sections.add(bp, "manage_nav", "petition/_manage_nav.html", order=0, when=viewer_organizes)
sections.add(bp, "manage_index", "petition/_manage_list.html", order=20, when=viewer_organizes)


@bp.app_template_global("petitions_to_manage")
def petitions_to_manage() -> tuple[list[Petition], dict[int, int]]:
    """Every petition, archived ones last, with its counted signatures."""
    petitions = db.session.scalars(
        select(Petition).order_by(Petition.archived_at.is_not(None), Petition.created_at.desc())
    ).all()
    return petitions, dashboard.counted_by_petition([p.id for p in petitions])


def _when(value: datetime | None, tz, fmt: str = "%b %-d, %Y %-I:%M %p") -> str:
    local = utc_to_local(value, tz)
    return local.strftime(fmt) if local else ""


def _data_from(form: PetitionForm) -> service.PetitionData:
    return service.PetitionData(
        title=form.title.data or "",
        slug=form.slug.data or "",
        summary=form.summary.data or "",
        body=form.body.data or "",
        addressed_to=form.addressed_to.data or "",
        goal=form.goal.data,
        deadline=form.deadline_utc,
        sponsors=form.sponsors.data or "",
        ask_waitlist=form.ask_waitlist.data,
        waitlist_label=form.waitlist_label.data or "",
        waitlist_min=form.waitlist_min.data,
        waitlist_max=form.waitlist_max.data,
        require_confirmation=form.require_confirmation.data,
        retention_days=form.retention_days.data,
        embed_origins=form.embed_origins.data or "",
        title_es=form.title_es.data or "",
        summary_es=form.summary_es.data or "",
        body_es=form.body_es.data or "",
        addressed_to_es=form.addressed_to_es.data or "",
        waitlist_label_es=form.waitlist_label_es.data or "",
    )


def _attach_error(form: PetitionForm, error: service.PetitionError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


@bp.route("/p/new", methods=["GET", "POST"])
@organizer_required
def new_petition():
    form = PetitionForm()
    if form.validate_on_submit():
        try:
            petition = service.create_petition(_data_from(form), user=current_user)
            db.session.commit()
        except service.PetitionError as e:
            db.session.rollback()
            _attach_error(form, e)
        except IntegrityError:  # the same address taken a moment ago by someone else
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, "Another petition already uses this address."]
        else:
            flash(f"Saved “{petition.title}” as a draft. Preview it, then publish.", "ok")
            return redirect(url_for(".dashboard", slug=petition.slug))
    return form_page("petition/petition_form.html", form, petition=None)


@bp.route("/p/<slug>/edit", methods=["GET", "POST"])
@organizer_required
def edit_petition(slug: str):
    petition = petition_or_404(slug)
    locked = service.slug_locked(petition)
    if request.method == "GET":
        local = utc_to_local(petition.deadline)
        form = PetitionForm(
            obj=petition,
            deadline_date=local.date() if local else None,
            deadline_time=local.time() if local else None,
        )
        form.body.data = service.body_for_editing(petition.body)  # obj= would win over a kwarg
        form.body_es.data = service.body_for_editing(petition.body_es)
    else:
        form = PetitionForm()
    if form.validate_on_submit():
        try:
            service.update_petition(petition, _data_from(form))
            db.session.commit()
        except service.PetitionError as e:
            db.session.rollback()
            _attach_error(form, e)
        except IntegrityError:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, "Another petition already uses this address."]
        else:
            flash("Changes saved.", "ok")
            return redirect(url_for(".dashboard", slug=petition.slug))
    return form_page("petition/petition_form.html", form, petition=petition, slug_locked=locked)


@bp.get("/p/<slug>/preview")
@organizer_required
def preview_petition(slug: str):
    """The public page itself, as the public will see it, with the form disabled; in
    either language (?language=es), whatever the organizer's own."""
    petition = petition_or_404(slug)
    language = request.args.get("language")
    if language not in current_app.config["LANGUAGES"]:
        return render_petition_page(petition, preview=True)
    with force_locale(language):
        return render_petition_page(petition, preview=True)


def _transition(slug: str, action, done: str, logged: AuditAction):
    petition = petition_or_404(slug)
    try:
        action(petition)
    except service.PetitionError as e:
        db.session.rollback()
        return render_template("petition/refused.html", petition=petition, message=str(e)), 409
    audit.record(logged, object_type="petition", object_id=petition.slug, petition=petition)
    db.session.commit()
    flash(done.format(title=petition.title), "ok")
    return redirect(url_for(".dashboard", slug=petition.slug))


@bp.post("/p/<slug>/publish")
@organizer_required
def publish_petition(slug: str):
    return _transition(
        slug,
        service.publish,
        "“{title}” is published and taking signatures.",
        AuditAction.PETITION_PUBLISH,
    )


@bp.post("/p/<slug>/close")
@organizer_required
def close_petition(slug: str):
    return _transition(
        slug,
        service.close,
        "“{title}” is closed: it takes no more signatures.",
        AuditAction.PETITION_CLOSE,
    )


@bp.post("/p/<slug>/reopen")
@organizer_required
def reopen_petition(slug: str):
    return _transition(
        slug,
        service.reopen,
        "“{title}” is open for signatures again.",
        AuditAction.PETITION_REOPEN,
    )


def _confirmed(slug: str, action, logged, template: str, done: str, to_index: bool = False):
    """GET: a page asking to confirm (no script needed); POST: do it."""
    petition = petition_or_404(slug)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            template, petition=petition, form=form, retention_days=retention.days_for(petition)
        )
    title, petition_id = petition.title, petition.id
    try:
        action(petition)
    except service.PetitionError as e:
        db.session.rollback()
        return render_template("petition/refused.html", petition=petition, message=str(e)), 409
    audit.record(logged, object_type="petition", object_id=slug, petition=petition_id)
    db.session.commit()
    flash(done.format(title=title), "ok")
    if to_index:
        return redirect(url_for("manage.index"))
    return redirect(url_for(".dashboard", slug=petition.slug))


@bp.route("/p/<slug>/archive", methods=["GET", "POST"])
@organizer_required
def archive_petition(slug: str):
    return _confirmed(
        slug,
        service.archive,
        AuditAction.PETITION_ARCHIVE,
        "petition/archive.html",
        "“{title}” is archived: closed for good and off the public list.",
    )


@bp.route("/p/<slug>/delete", methods=["GET", "POST"])
@organizer_required
def delete_petition(slug: str):
    return _confirmed(
        slug,
        service.delete_draft,
        AuditAction.PETITION_DELETE,
        "petition/delete.html",
        "Deleted the draft “{title}”.",
        True,
    )


def _query_args() -> dict:
    """The dashboard's list state (search, filter, page), carried through moderation posts."""
    source = request.form if request.method == "POST" else request.args
    q = clean_line(source.get("q"))[:200]
    show = source.get("show") or "all"
    if show not in dashboard.FILTERS:
        show = "all"
    page = source.get("page", type=int) or 1
    return {"q": q, "show": show, "page": max(1, min(page, 1_000_000))}


@bp.get("/p/<slug>", endpoint="dashboard")
@organizer_required
def dashboard_view(slug: str):
    petition = petition_or_404(slug)
    args = _query_args()
    tz = zone()
    numbers = dashboard.overview(petition)
    return render_template(
        "petition/dashboard.html",
        petition=petition,
        status=dashboard.status_label(petition),
        stats=numbers.stats,
        per_day=dashboard.per_day(petition, tz),
        towns=numbers.towns,
        other_towns=numbers.other_towns,
        other_town_count=numbers.other_town_signatures,
        roles=numbers.roles,
        page=dashboard.search(petition, args["q"], args["show"], args["page"]),
        review=dashboard.needs_review(petition) if numbers.stats.flagged else [],
        exports=dashboard.export_log(petition),
        removal_date=retention.petition_removal_date(petition),
        retention_days=retention.days_for(petition),
        args=args,
        when=lambda value: _when(value, tz),
        day=lambda value: _when(value, tz, "%b %-d, %Y"),
        bar_chart=bar_chart_svg,
        snippets=embeds.snippets(petition),
    )


def _moderate(slug: str, signature_id: int, action, message: str, logged=None):
    petition = petition_or_404(slug)
    signature = db.session.get(Signature, signature_id) if signature_id < 2**31 else None
    if signature is None or signature.petition_id != petition.id:
        abort(404)
    action(signature)
    if logged is not None:  # the signature's number only: no signer's name in the log
        audit.record(logged, object_type="signature", object_id=signature.id, petition=petition)
    db.session.commit()
    counting.forget(petition)  # the public count follows at once, not after the cache expires
    flash(message.format(name=signature.full_name), "ok")
    args = _query_args()
    params = {k: v for k, v in args.items() if v and v != "all" and not (k == "page" and v == 1)}
    return redirect(url_for(".dashboard", slug=petition.slug, **params) + "#signatures")


@bp.post("/p/<slug>/signatures/<int:signature_id>/hide")
@organizer_required
def hide_signature(slug: str, signature_id: int):
    return _moderate(
        slug,
        signature_id,
        lambda s: service.set_hidden(s, True),
        "Hid the signature of {name}; it no longer counts.",
        AuditAction.SIGNATURE_HIDE,
    )


@bp.post("/p/<slug>/signatures/<int:signature_id>/restore")
@organizer_required
def restore_signature(slug: str, signature_id: int):
    return _moderate(
        slug,
        signature_id,
        lambda s: service.set_hidden(s, False),
        "Restored the signature of {name}.",
        AuditAction.SIGNATURE_RESTORE,
    )


@bp.post("/p/<slug>/signatures/<int:signature_id>/reviewed")
@organizer_required
def review_signature(slug: str, signature_id: int):
    return _moderate(
        slug, signature_id, service.mark_reviewed, "Kept the signature of {name}; flag cleared."
    )


def _chunks(lines, size: int = 64 * 1024):
    """Join CSV lines into ~64 KB pieces: one write per piece instead of one per row."""
    parts, length = [], 0
    for line in lines:
        parts.append(line)
        length += len(line)
        if length >= size:
            yield "".join(parts)
            parts, length = [], 0
    if parts:
        yield "".join(parts)


@bp.get("/p/<slug>/signatures.csv")
@organizer_required
def export_signatures(slug: str):
    petition = petition_or_404(slug)
    max_id, rows = dashboard.export_snapshot(petition)
    # Logged before a byte leaves: an interrupted download still counts as an export.
    log_export(current_user, "signatures", petition.slug, rows, petition=petition)
    db.session.commit()
    stamp = datetime.strftime(utcnow(), "%Y%m%d-%H%M")
    lines = csv_lines(dashboard.EXPORT_HEADER, dashboard.export_rows(petition.id, max_id))
    return Response(
        stream_with_context(_chunks(lines)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="signatures-{petition.slug}-{stamp}.csv"'
        },
    )
