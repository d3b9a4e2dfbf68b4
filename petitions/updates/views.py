"""Organizer routes for petition updates, and the admins' suppression list.

Organizers and admins only: volunteers get 403, anonymous visitors the login page. The
rules live in services.updates (what an update is, who gets it) and services.mailings
(sending, resuming, the suppression list)."""

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
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from petitions.core import sections
from petitions.core.access import admin_required, organizer_required, viewer_is_admin
from petitions.core.exports import csv_lines, log_export
from petitions.core.extensions import db
from petitions.core.responses import form_page, no_store
from petitions.core.timezones import iso_utc, utc_to_local
from petitions.core.tokens import new_token
from petitions.mail import mailings, suppressions
from petitions.mail.transport import send
from petitions.models import Suppression, Update
from petitions.petition.loaders import petition_or_404
from petitions.updates import services as service
from petitions.updates.forms import SendForm, SuppressionImportForm, TestSendForm, UpdateForm
from petitions.updates.mail import render_update, update_message

bp = Blueprint("manage_updates", __name__)
bp.after_request(no_store)
sections.add(bp, "admin_nav", "updates/_admin_nav.html", when=viewer_is_admin)


def _update_or_404(petition, update_id: int) -> Update:
    update = db.session.get(Update, update_id)
    if update is None or update.petition_id != petition.id:
        abort(404)
    return update


def _data(form: UpdateForm) -> service.UpdateData:
    return service.UpdateData(
        subject=form.subject.data or "",
        body=form.body.data or "",
        subject_es=form.subject_es.data or "",
        body_es=form.body_es.data or "",
        audience=form.audience.data or "",
        published=form.published.data,
    )


def _attach(form, error: service.UpdateError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        form.form_errors.append(str(error))


@bp.get("/p/<slug>/updates/")
@organizer_required
def index(slug: str):
    petition = petition_or_404(slug)
    return render_template(
        "updates/index.html",
        petition=petition,
        updates=service.updates_of(petition),
        delivered_at=service.delivered_at(petition),
        local=utc_to_local,
    )


@bp.route("/p/<slug>/updates/new", methods=["GET", "POST"])
@organizer_required
def new(slug: str):
    petition = petition_or_404(slug)
    form = UpdateForm()
    draft = service.delivered_draft(petition) if request.args.get("from") == "delivered" else None
    if draft is not None and not form.is_submitted():
        form = UpdateForm(data=vars(draft))
    if form.validate_on_submit():
        try:
            update = service.create_update(petition, _data(form), user=current_user)
        except service.UpdateError as e:
            db.session.rollback()
            _attach(form, e)
        else:
            update_id = update.id
            db.session.commit()
            flash("Saved. Preview it, send yourself a test, then send it.", "ok")
            return redirect(url_for(".show", slug=slug, update_id=update_id))
    return form_page(
        "updates/form.html", form, petition=petition, update=None, sizes=_sizes(petition)
    )


def _sizes(petition) -> dict:
    return {a: service.audience_size(petition, a) for a in ("signers", "opted_in")}


@bp.route("/p/<slug>/updates/<int:update_id>", methods=["GET", "POST"])
@organizer_required
def show(slug: str, update_id: int):
    """The update: its form while not sent, previews, test and send; progress once sent."""
    petition = petition_or_404(slug)
    update = _update_or_404(petition, update_id)
    mailing = update.mailing
    editable = mailing is None
    if request.method == "POST" and not editable:
        abort(409)
    form = UpdateForm(obj=update) if request.method == "GET" else UpdateForm()
    if request.method == "GET":  # the stored HTML back as it was written
        form.body.data, form.body_es.data = service.for_editing(update)
    if editable and form.validate_on_submit():
        try:
            service.edit_update(update, _data(form))
        except service.UpdateError as e:
            db.session.rollback()
            _attach(form, e)
        else:
            db.session.commit()
            flash("Changes saved.", "ok")
            return redirect(url_for(".show", slug=slug, update_id=update_id))
    return form_page(
        "updates/show.html",
        form,
        petition=petition,
        update=update,
        mailing=mailing,
        editable=editable,
        progress=mailings.progress(mailing) if mailing is not None else None,
        send_form=SendForm(formdata=None),
        test_form=TestSendForm(formdata=None),
        sizes=_sizes(petition),
        local=utc_to_local,
    )


@bp.get("/p/<slug>/updates/<int:update_id>/preview/<language>")
@organizer_required
def preview(slug: str, update_id: int, language: str):
    """The mail's HTML part as that language's recipients will see it."""
    petition = petition_or_404(slug)
    update = _update_or_404(petition, update_id)
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    subject, text, html = render_update(update, language)
    html = html.partition("<body>")[2].rpartition("</body>")[0]  # the mail's body, in the page
    return render_template(
        "updates/preview.html",
        petition=petition,
        update=update,
        language=language,
        subject=subject,
        text=text,
        html=html,
    )


@bp.post("/p/<slug>/updates/<int:update_id>/test")
@organizer_required
def test_send(slug: str, update_id: int):
    """A copy to the organizer's own address, in the chosen language. Its unsubscribe
    link is a real-looking one that is not stored, so it unsubscribes nobody."""
    petition = petition_or_404(slug)
    update = _update_or_404(petition, update_id)
    form = TestSendForm()
    if not form.validate_on_submit():
        abort(400)
    message = update_message(
        update, current_user.email, form.language.data, new_token(), name=current_user.name
    )
    message.replace_header("Subject", f"[Test] {message['Subject']}")
    db.session.rollback()  # nothing open while the mail server is talked to
    if send(message):
        flash(f"A test went to {current_user.email}.", "ok")
    else:
        flash("The test could not be sent just now: the mail server did not take it.", "error")
    return redirect(url_for(".show", slug=slug, update_id=update_id))


@bp.post("/p/<slug>/updates/<int:update_id>/send")
@organizer_required
def send_update(slug: str, update_id: int):
    petition = petition_or_404(slug)
    update = _update_or_404(petition, update_id)
    if update.mailing is not None:  # a double click, or a second tab: sent once already
        flash("This update has been sent already (or is scheduled).", "ok")
        return redirect(url_for(".show", slug=slug, update_id=update_id)), 303
    form = SendForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for(".show", slug=slug, update_id=update_id)), 303
    try:
        mailing = service.send_update(update, user=current_user, at=form.send_at_utc)
    except service.UpdateError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for(".show", slug=slug, update_id=update_id)), 303
    mailing_id, scheduled_at, recipients = mailing.id, mailing.scheduled_at, mailing.recipients
    db.session.commit()
    if scheduled_at is None:
        mailings.start(mailing_id)
        flash(f"Sending to {recipients:,} people.", "ok")
    else:
        mailings.schedule_check(scheduled_at)
        flash(f"Scheduled for {recipients:,} people.", "ok")
    return redirect(url_for(".show", slug=slug, update_id=update_id)), 303


@bp.get("/p/<slug>/updates/<int:update_id>/progress.json")
@organizer_required
def progress(slug: str, update_id: int):
    petition = petition_or_404(slug)
    update = _update_or_404(petition, update_id)
    if update.mailing is None:
        return jsonify(status="draft")
    progress = mailings.progress(update.mailing)
    return jsonify({**progress, "next_try": iso_utc(progress["next_try"])})


# --- the suppression list (admins) ------------------------------------------------------


@bp.route("/suppressions", methods=["GET", "POST"])
@admin_required
def suppression_list():
    form = SuppressionImportForm()
    result = None
    if form.validate_on_submit():
        result = suppressions.import_csv(form.file.data.read(), form.reason.data)
        db.session.commit()
        flash(
            f"Added {result.added:,} addresses ({result.known:,} were on the list already).", "ok"
        )
        return redirect(url_for(".suppression_list"))
    count = db.session.scalar(select(db.func.count()).select_from(Suppression))
    return form_page("mail/suppressions.html", form, count=count, result=result)


@bp.get("/suppressions.csv")
@admin_required
def suppression_export():
    rows = db.session.execute(
        select(Suppression.email_key, Suppression.reason, Suppression.created_at).order_by(
            Suppression.id
        )
    ).all()
    log_export(current_user, "suppressions", "site", len(rows))
    db.session.commit()
    lines = csv_lines(
        ["email", "reason", "added_at"], ([e, r, t.isoformat(" ", "seconds")] for e, r, t in rows)
    )
    return Response(
        lines,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="suppressions.csv"'},
    )
