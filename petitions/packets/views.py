"""Organizer pages: the officials directory and each petition's delivery packets."""

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from petitions.core import audit, sections
from petitions.core.access import organizer_required, viewer_organizes
from petitions.core.errors import render_error
from petitions.core.exports import log_export
from petitions.core.extensions import db
from petitions.core.responses import form_page, no_store
from petitions.models import AuditAction, Petition
from petitions.models.official import Official
from petitions.models.packet import SCOPE_COMBINED, SCOPE_EVERYONE, PacketJob, PacketRecord
from petitions.packets import jobs
from petitions.packets import letter as packet_letter
from petitions.packets import officials as officials_service
from petitions.packets import settings as packet_settings
from petitions.packets import storage as packet_storage
from petitions.packets import stories as packet_stories
from petitions.packets.build import PacketError, PacketRequest, count_rows
from petitions.packets.forms import (
    CsrfOnlyForm,
    DeliveredForm,
    GenerateForm,
    ImportForm,
    OfficialForm,
    SettingsForm,
    StoryForm,
    TargetsForm,
)
from petitions.petition.loaders import petition_or_404

bp = Blueprint("packets", __name__)
bp.after_request(no_store)
sections.add(bp, "manage_nav", "packets/_manage_nav.html", order=20, when=viewer_organizes)
sections.add(
    bp, "petition_dashboard", "packets/_petition_panel.html", order=10, when=viewer_organizes
)


def _back(default: str):
    """Redirect to the organizer page the form was posted from (local /manage/ paths only)."""
    target = request.form.get("next", "")
    if target.startswith("/manage/") and "//" not in target and "\\" not in target:
        return redirect(target)
    return redirect(default)


# --- officials directory -------------------------------------------------------------------


@bp.get("/officials")
@organizer_required
def officials():
    return render_template(
        "packets/officials.html",
        officials=officials_service.list_officials(),
        form=CsrfOnlyForm(),
    )


def _form_data(form: OfficialForm) -> officials_service.OfficialData:
    clean = officials_service.clean_line
    areas = officials_service.parse_areas(
        officials_service.split_list(form.towns.data),
        officials_service.split_list(form.zip_codes.data),
    )
    address = "\n".join(clean(line) for line in (form.address.data or "").splitlines()).strip()
    return officials_service.OfficialData(
        name=clean(form.name.data), title=clean(form.title.data), body=clean(form.body.data),
        district=clean(form.district.data), email=clean(form.email.data),
        phone=clean(form.phone.data), address=address, areas=areas,
    )  # fmt: skip


@bp.route("/officials/new", methods=["GET", "POST"])
@organizer_required
def official_new():
    form = OfficialForm()
    if form.validate_on_submit():
        official = _form_data(form).apply(Official())
        db.session.add(official)
        db.session.commit()
        flash(f"Added {official.label}.", "ok")
        return redirect(url_for("packets.officials"))
    return form_page("packets/official_form.html", form, official=None)


@bp.route("/officials/<int:official_id>/edit", methods=["GET", "POST"])
@organizer_required
def official_edit(official_id: int):
    official = db.get_or_404(Official, official_id)
    form = OfficialForm(obj=official)
    if request.method == "GET":
        form.towns.data = "\n".join(official.towns)
        form.zip_codes.data = "\n".join(official.zip_codes)
    if form.validate_on_submit():
        _form_data(form).apply(official)
        db.session.commit()
        flash(f"Saved {official.label}.", "ok")
        return redirect(url_for("packets.officials"))
    return form_page("packets/official_form.html", form, official=official)


@bp.post("/officials/<int:official_id>/delete")
@organizer_required
def official_delete(official_id: int):
    official = db.get_or_404(Official, official_id)
    form = CsrfOnlyForm()
    if not form.validate_on_submit():
        abort(400)
    label = official.label
    db.session.delete(official)
    db.session.commit()
    flash(f"Deleted {label}. Packets already made for them stay in each petition's record.", "ok")
    return redirect(url_for("packets.officials"))


@bp.get("/officials.csv")
@organizer_required
def officials_csv():
    rows = officials_service.list_officials()
    log_export(current_user, "officials", "officials", len(rows))
    db.session.commit()
    return Response(
        stream_with_context(officials_service.export_csv()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="officials.csv"',
        },  # fmt: skip
    )


@bp.route("/officials/import", methods=["GET", "POST"])
@organizer_required
def officials_import():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        text = officials_service.decode_upload(form.file.data.read())
        report = officials_service.check_csv(text)
        if report.ok:
            officials_service.apply_import(report)
            db.session.commit()
            flash(
                f"Imported the officials file: {report.added} added, {report.updated} updated.",
                "ok",
            )
            return redirect(url_for("packets.officials"))
    # 422 for a valid form whose file was refused, 400 for an invalid form.
    return form_page("packets/import.html", form, status=422 if report else None, report=report)


# --- a petition's packets -------------------------------------------------------------


def panel_data(petition: Petition) -> dict:
    """Everything the packets panel shows; the dashboard include calls this too."""
    targets = officials_service.targets(petition.id)
    counts = officials_service.counts_by_official(petition.id)
    all_officials = officials_service.list_officials()
    targets_form = TargetsForm(formdata=None, officials=[o.id for o in targets])
    targets_form.officials.choices = [SelectChoice(o.id, o.label) for o in all_officials]
    generate_form = GenerateForm(formdata=None)
    generate_form.official.choices = _official_choices(targets)
    settings = packet_settings.settings_for(petition)
    jobs_running = db.session.scalars(
        select(PacketJob)
        .where(PacketJob.petition_id == petition.id, PacketJob.status.in_(("queued", "running")))
        .order_by(PacketJob.id.desc())
    ).all()
    return dict(
        targets=[(o, counts.get(o.id, 0)) for o in targets],
        unmatched=officials_service.unmatched_count(petition.id) if targets else None,
        targets_form=targets_form,
        generate_form=generate_form,
        delivered_form=DeliveredForm(formdata=None),
        settings=settings,
        records=packet_storage.history(petition),
        jobs=jobs_running,
        has_officials=bool(all_officials),
        threshold=jobs.threshold(),
    )


def _official_choices(targets):
    first = SelectChoice(
        "", "Combined: a section for each official" if targets else "Everyone who signed"
    )
    return [first] + [SelectChoice(str(o.id), o.label) for o in targets]


@bp.app_context_processor
def _panel_helper():
    return {"packet_panel": panel_data}


@bp.get("/p/<slug>/packets")
@organizer_required
def petition_packets(slug: str):
    petition = petition_or_404(slug)
    return render_template("packets/petition.html", petition=petition)


@bp.post("/p/<slug>/packets/targets")
@organizer_required
def set_targets(slug: str):
    petition = petition_or_404(slug)
    form = TargetsForm()
    form.officials.choices = [
        SelectChoice(o.id, o.label) for o in officials_service.list_officials()
    ]
    if not form.validate_on_submit():
        return render_error(400, "Choose officials from the list.")
    officials_service.set_targets(petition.id, form.officials.data or [])
    db.session.commit()
    flash("Saved the officials this petition is delivered to.", "ok")
    return _back(url_for("packets.petition_packets", slug=slug))


@bp.route("/p/<slug>/packets/settings", methods=["GET", "POST"])
@organizer_required
def settings(slug: str):
    petition = petition_or_404(slug)
    current = packet_settings.settings_for(petition)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        packet_settings.save_settings(
            petition,
            cover_letter=packet_letter.clean_letter(form.cover_letter.data),
            show_waitlist_numbers=form.show_waitlist_numbers.data,
            sort_order=form.sort_order.data,
        )
        db.session.commit()
        flash("Saved the packet settings.", "ok")
        return redirect(url_for("packets.petition_packets", slug=slug))
    if request.method == "GET" and not current.cover_letter:
        form.cover_letter.data = packet_letter.DEFAULT_LETTER
    return form_page("packets/settings.html", form, petition=petition)


@bp.get("/p/<slug>/packets/stories")
@organizer_required
def stories(slug: str):
    petition = petition_or_404(slug)
    page = request.args.get("page", 1, type=int)
    page = max(1, min(page or 1, 100000))
    rows, total = packet_stories.stories_page(petition, page)
    return render_template("packets/stories.html", petition=petition, rows=rows, total=total,
                           page=page, per_page=50, form=StoryForm())  # fmt: skip


@bp.post("/p/<slug>/packets/stories/<int:signature_id>")
@organizer_required
def story_toggle(slug: str, signature_id: int):
    petition = petition_or_404(slug)
    form = StoryForm()
    if not form.validate_on_submit():
        abort(400)
    if not packet_stories.set_story_excluded(petition, signature_id, form.excluded.data == "1"):
        abort(404)
    db.session.commit()
    page = request.args.get("page", 1, type=int)
    return redirect(url_for("packets.stories", slug=slug, page=page, _anchor=f"s{signature_id}"))


@bp.post("/p/<slug>/packets/generate")
@organizer_required
def generate(slug: str):
    petition = petition_or_404(slug)
    form = GenerateForm()
    targets = officials_service.targets(petition.id)
    form.official.choices = _official_choices(targets)
    if not form.validate_on_submit():
        return render_error(400, "Choose whom the packet is for, the paper size and the order.")
    if form.official.data:
        req = PacketRequest(official_id=int(form.official.data), scope=form.scope.data)
    else:
        req = PacketRequest(scope=SCOPE_COMBINED if targets else SCOPE_EVERYONE)
    req.paper = form.paper.data
    req.sort_order = form.sort_order.data or None
    try:
        rows = count_rows(petition, req)
        if rows > jobs.threshold():
            job_id = jobs.start_packet_job(petition, req, current_user)
            return redirect(url_for("packets.job_page", slug=slug, job_id=job_id))
        record = packet_storage.make_and_store(petition, req, current_user, source="web")
    except PacketError as e:
        return render_error(422, str(e))
    db.session.commit()
    return _send(petition, record)


def _send(petition: Petition, record: PacketRecord):
    path = packet_storage.stored_file(record)
    if path is None:
        return render_error(404, "That packet file is no longer on the server.")
    audit.record(
        AuditAction.PACKET_DOWNLOAD, object_type="packet", object_id=record.id, petition=petition
    )
    db.session.commit()
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=f"packet-{petition.slug}-{record.id}.pdf")  # fmt: skip


@bp.get("/p/<slug>/packets/<int:record_id>.pdf")
@organizer_required
def download(slug: str, record_id: int):
    petition = petition_or_404(slug)
    record = db.session.get(PacketRecord, record_id)
    if record is None or record.petition_id != petition.id:
        abort(404)
    return _send(petition, record)


def _job(petition: Petition, job_id: int) -> PacketJob:
    job = db.session.get(PacketJob, job_id)
    if job is None or job.petition_id != petition.id:
        abort(404)
    return job


@bp.get("/p/<slug>/packets/jobs/<int:job_id>")
@organizer_required
def job_page(slug: str, job_id: int):
    petition = petition_or_404(slug)
    job = _job(petition, job_id)
    return render_template("packets/job.html", petition=petition, job=job,
                           status=jobs.job_status(job))  # fmt: skip


@bp.get("/p/<slug>/packets/jobs/<int:job_id>.json")
@organizer_required
def job_json(slug: str, job_id: int):
    petition = petition_or_404(slug)
    job = _job(petition, job_id)
    data = jobs.job_status(job)
    if job.status == "done" and job.record_id:
        data["download_url"] = url_for("packets.download", slug=slug, record_id=job.record_id)
    return jsonify(data)


@bp.post("/p/<slug>/packets/delivered")
@organizer_required
def delivered(slug: str):
    petition = petition_or_404(slug)
    form = DeliveredForm()
    if not form.validate_on_submit():
        return render_error(400, "The note can be at most 300 characters.")
    mark = form.delivered.data == "1"
    packet_settings.set_delivered(petition, mark, current_user, (form.note.data or "").strip())
    db.session.commit()
    flash(
        "Marked as delivered. Tell the signers: Updates offers a ready-made update."
        if mark
        else "No longer marked as delivered.",
        "ok",
    )
    return _back(url_for("packets.petition_packets", slug=slug))
