"""Paper petitions: printable sheets (organizers), keyboard entry (staff), CSV import
(organizers). Registered under /manage."""

import io
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from petitions.core import sections
from petitions.core.access import organizer_required, staff_required
from petitions.core.extensions import csrf, db
from petitions.core.limits import LIMITS
from petitions.core.responses import form_page, no_store
from petitions.core.urls import share_url
from petitions.models import ROLE_LABELS, Petition, PetitionStatus, Signature
from petitions.paper import imports
from petitions.paper.forms import ImportConfirmForm, ImportUploadForm, PaperEntryForm
from petitions.paper.services import (
    ROLE_LETTERS,
    PaperError,
    PaperStatus,
    accepts_paper,
    check_fields,
    petition_paragraphs,
    recent_sheet_entries,
    record_paper_signature,
)
from petitions.paper.sheet import MAX_ROWS, PAPER_SIZES, SheetData, SheetLabels, render_sheet
from petitions.petition import counting
from petitions.petition.loaders import petition_or_404

bp = Blueprint("paper", __name__)
bp.after_request(no_store)
# One template for both: with a petition in scope it links to that petition's paper tools.
sections.add(bp, "manage_nav", "paper/_manage_nav.html", order=40)
sections.add(bp, "petition_actions", "paper/_manage_nav.html")


@bp.get("/paper")
@staff_required
def index():
    petitions = db.session.scalars(
        select(Petition)
        .where(Petition.status != PetitionStatus.DRAFT)
        .order_by(Petition.created_at.desc())
    ).all()
    return render_template("paper/index.html", petitions=petitions)


# --- printable sheet ------------------------------------------------------------------


@bp.get("/p/<slug>/paper-sheet.pdf")
@organizer_required
def sheet(slug: str):
    petition = petition_or_404(slug)
    paper = request.args.get("paper", "letter").lower()
    if paper not in PAPER_SIZES:
        abort(400)
    rows_arg = request.args.get("rows", "").strip()
    if rows_arg and (not rows_arg.isdigit() or not 1 <= int(rows_arg) <= MAX_ROWS):
        abort(400)
    data = SheetData(
        title=petition.title,
        url=share_url("public.petition", slug=petition.slug),
        paragraphs=petition_paragraphs(petition),
        addressed_to=petition.addressed_to,
        ask_waitlist=petition.ask_waitlist,
        # Signer-facing: printed in the language of the request (?lang=es for Spanish).
        roles=[(letter, str(ROLE_LABELS[role])) for role, letter in ROLE_LETTERS.items()],
        labels=SheetLabels().translated(_),
    )
    out = io.BytesIO()
    render_sheet(data, out, paper=paper, rows=int(rows_arg or 0))
    out.seek(0)
    return send_file(
        out,
        mimetype="application/pdf",
        download_name=f"{petition.slug}-sheet-{paper}.pdf",
        as_attachment=False,
        max_age=0,
    )


# --- keyboard entry -------------------------------------------------------------------


@bp.route("/p/<slug>/paper", methods=["GET", "POST"])
@staff_required
def entry(slug: str):
    petition = petition_or_404(slug)
    form = PaperEntryForm()
    if request.method == "GET":
        form.sheet_number.data = request.args.get("sheet", "")[: LIMITS["sheet_number"]]
    matches = []
    status = None  # form_page's: 400 when a submitted form has errors
    if not accepts_paper(petition):
        status = 409 if form.is_submitted() else None
    elif form.validate_on_submit():
        entry_, errors = check_fields(
            petition, dict(form.data, language="es" if form.spanish.data else "en")
        )
        for name, message in errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        if not errors:
            try:
                result = record_paper_signature(
                    petition, entry_, different_person=form.different_person.data
                )
            except PaperError as e:
                flash(str(e), "error")
                return redirect(url_for("paper.entry", slug=slug))
            if result.status == PaperStatus.SAVED:
                db.session.commit()
                counting.forget(petition)
                sig = result.signature
                where = f" on sheet {sig.sheet_number}" if sig.sheet_number else ""
                flash(
                    f"Saved{where}: {sig.full_name}, {sig.postal_code or sig.town}"
                    f"{' ' + sig.town if sig.postal_code and sig.town else ''}.",
                    "ok",
                )
                return redirect(url_for("paper.entry", slug=slug, sheet=sig.sheet_number or None))
            db.session.rollback()
            if result.status == PaperStatus.FULL_HOUSEHOLD:
                form.email.errors = [
                    *form.email.errors,
                    "Too many people have signed with this email already; "
                    "leave the email out for this person.",
                ]
            matches = result.matches
            status = 409
    sheet_number = (form.sheet_number.data or "").strip()
    recent = recent_sheet_entries(petition, sheet_number or None)
    sheet_count = (
        db.session.scalar(
            select(func.count(Signature.id)).where(
                Signature.petition_id == petition.id,
                Signature.source == "paper",
                Signature.sheet_number == sheet_number,
            )
        )
        if sheet_number
        else None
    )
    return form_page(
        "paper/entry.html",
        form,
        status=status,
        petition=petition,
        matches=matches,
        recent=recent,
        sheet_number=sheet_number,
        sheet_count=sheet_count,
        open_for_paper=accepts_paper(petition),
    )


# --- CSV import -----------------------------------------------------------------------


def _import_limit() -> int:
    return int(current_app.config["PAPER_IMPORT_MAX_BYTES"])


def _too_large(petition):
    mb = _import_limit() / (1024 * 1024)
    message = (
        f"That file is larger than {mb:g} MB, the limit for one import. "
        "Split it into smaller files (by date or by town) and import them one by one."
    )
    return (
        render_template(
            "paper/import.html",
            petition=petition,
            form=ImportUploadForm(formdata=None),  # the body is not to be read again
            too_large=message,
        ),
        413,
    )


def _protect_upload():
    """CSRF check after raising the body size limit for this request only (the global
    CSRF check would read the body under the app's 1 MB form limit first)."""
    request.max_content_length = _import_limit()
    request.max_form_memory_size = 1024 * 1024
    csrf.protect()


@bp.get("/p/<slug>/import")
@organizer_required
def import_form(slug: str):
    petition = petition_or_404(slug)
    return render_template("paper/import.html", petition=petition, form=ImportUploadForm())


@bp.post("/p/<slug>/import")
@csrf.exempt
@organizer_required
def import_check(slug: str):
    petition = petition_or_404(slug)
    try:
        _protect_upload()
        request.files  # noqa: B018  (read the body here, where its size is checked)
    except RequestEntityTooLarge:
        return _too_large(petition)
    form = ImportUploadForm()
    if not form.validate():
        return form_page("paper/import.html", form, petition=petition)
    data = form.file.data.read()
    report = imports.analyse(petition, data)
    confirm = None
    if report.importable and accepts_paper(petition):
        token = imports.store_upload(current_app.instance_path, petition, current_user.id, data)
        confirm = ImportConfirmForm(formdata=None, token=token, expected=str(report.accepted))
    return form_page(
        "paper/import.html",
        ImportUploadForm(formdata=None),
        status=422 if report.file_errors else 200,  # a valid form, a refused file
        petition=petition,
        report=report,
        confirm=confirm,
        filename=Path(form.file.data.filename or "upload.csv").name[:120],
        limit=imports.REPORT_LIMIT,
    )


@bp.post("/p/<slug>/import/confirm")
@organizer_required
def import_confirm(slug: str):
    petition = petition_or_404(slug)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    instance = current_app.instance_path
    try:
        data = imports.load_upload(instance, petition, current_user.id, form.token.data)
    except imports.ImportError_ as e:
        flash(str(e), "error")
        return redirect(url_for("paper.import_form", slug=slug))
    # Re-check against the database as it is now: people may have signed since the dry run.
    report = imports.analyse(petition, data)
    if str(report.accepted) != (form.expected.data or "") and report.importable:
        confirm = ImportConfirmForm(
            formdata=None, token=form.token.data, expected=str(report.accepted)
        )
        return render_template(
            "paper/import.html",
            petition=petition,
            form=ImportUploadForm(formdata=None),
            report=report,
            confirm=confirm,
            changed=True,
            limit=imports.REPORT_LIMIT,
        ), 409
    try:
        count = imports.import_rows(petition, report)
    except imports.ImportError_ as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("paper.import_form", slug=slug))
    db.session.commit()
    counting.forget(petition)
    imports.discard_upload(instance, petition, current_user.id, form.token.data)
    skipped = report.duplicate_count + report.invalid_count
    flash(
        f"Imported {count} signature{'s' if count != 1 else ''}"
        + (f"; {skipped} row{'s' if skipped != 1 else ''} skipped." if skipped else "."),
        "ok",
    )
    return redirect(url_for("paper.import_form", slug=slug))
