"""Waitlist-number badges: the signer's and attendee's own badge, staff sheets, designs."""

import io

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from petitions.badges import services as svc
from petitions.badges.forms import DesignForm, SheetForm
from petitions.badges.pdf import render
from petitions.core import sections
from petitions.core.access import organizer_required, viewer_organizes
from petitions.core.content import localized
from petitions.core.extensions import db
from petitions.core.i18n import select_locale
from petitions.core.responses import form_page, no_store
from petitions.models import Event, Petition
from petitions.models.badge import BadgeSheet
from petitions.models.event import interpretation_mark
from petitions.petition.loaders import petition_or_404
from petitions.rallies.loaders import event_or_404

bp = Blueprint("badges", __name__)
bp.after_request(no_store)  # personal badges and staff pages alike
sections.add(bp, "manage_nav", "badges/_manage_nav.html", order=30, when=viewer_organizes)
sections.add(
    bp, "petition_dashboard", "badges/_petition_panel.html", order=20, when=viewer_organizes
)
sections.add(bp, "signature_thanks", "badges/_signature_badge_link.html")
sections.add(bp, "ticket", "badges/_ticket_badge_link.html")


def _pdf_response(buf: io.BytesIO, filename: str):
    buf.seek(0)
    response = send_file(
        buf, mimetype="application/pdf", as_attachment=False, download_name=filename
    )
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _lang() -> str:
    # The visitor's choice (?lang, cookie, Accept-Language), decided afresh for this request.
    lang = select_locale()
    return lang if lang in ("en", "es") else "en"


def _paper() -> str:
    paper = request.args.get("paper", "")
    if paper in svc.PERSONAL_STOCKS:
        return paper
    regions = [tag.replace("_", "-").split("-")[1] if "-" in tag.replace("_", "-") else ""
               for tag, _q in request.accept_languages]  # fmt: skip
    return svc.paper_for(regions)


def _one_badge(number, first_name, title, design, qr_url, filename, mark=""):
    lang = _lang()
    above, below = design.lines(lang)
    badge = svc.Badge(
        number=svc.format_number(number, design.number_format),
        title=title,
        line_above=above,
        line_below=below,
        first_name=first_name if design.show_first_name else "",
        qr_url=qr_url,
        mark=mark,
    )
    buf = io.BytesIO()
    render(buf, [badge], svc.PERSONAL_STOCKS[_paper()], note=svc.print_note(lang), title=title)
    return _pdf_response(buf, filename)


# --- public: a person's own badge (unguessable URLs; nothing beyond what is printed) -----


@bp.get("/p/<slug>/badge/<token>.pdf")
def signature_badge(slug, token):
    signature = svc.signature_badge_holder(slug, token)
    if signature is None:
        abort(404)
    petition = signature.petition
    return _one_badge(
        signature.waitlist_number,
        svc.first_name_of(signature.given_name),
        localized(petition, "title", _lang()),
        svc.design_for(petition),
        svc.badge_qr_url(petition),
        "badge.pdf",
    )


@bp.get("/t/<token>/badge.pdf")
def ticket_badge(token):
    attendee = svc.attendee_badge_holder(token)
    if attendee is None:
        abort(404)
    event = attendee.event
    return _one_badge(
        attendee.waitlist_number,
        svc.first_name_of(attendee.name),
        localized(event, "name", _lang()),
        svc.design_for(event.petition),
        svc.badge_qr_url(event.petition, event),
        "badge.pdf",
        mark=interpretation_mark(attendee.needs, attendee.interpretation_language),
    )


# --- staff -------------------------------------------------------------------------------


@bp.get("/manage/badges/")
@organizer_required
def index():
    petitions = db.session.scalars(select(Petition).order_by(Petition.created_at.desc())).all()
    events = db.session.scalars(select(Event).order_by(Event.starts_at.desc())).all()
    return render_template("badges/index.html", petitions=petitions, events=events)


@bp.route("/manage/badges/p/<slug>/", methods=["GET", "POST"])
@organizer_required
def petition_sheets(slug):
    petition = petition_or_404(slug)
    events = db.session.scalars(
        select(Event).where(Event.petition_id == petition.id).order_by(Event.starts_at.desc())
    ).all()
    return _sheets(petition, None, events)


@bp.route("/manage/badges/e/<slug>/", methods=["GET", "POST"])
@organizer_required
def event_sheets(slug):
    event = event_or_404(slug)
    return _sheets(event.petition, event, [])


def _sheets(petition, event, events):
    form = SheetForm()
    if event is None:
        form.source.choices = [SelectChoice("all", "Everyone with a number who signed")] + [
            SelectChoice(f"event:{e.id}", f"RSVPs and attendees of {e.name}") for e in events
        ]
    else:
        form.source.choices = [SelectChoice("all", f"RSVPs and attendees of {event.name}")]
    if not form.is_submitted():
        form.stock.data = form.stock.data or svc.DEFAULT_STOCK
    if form.validate_on_submit():
        target_event = event
        if form.source.data.startswith("event:"):
            target_event = next(e for e in events if f"event:{e.id}" == form.source.data)
        lo, hi = svc.waitlist_range(petition)
        try:
            numbers = svc.parse_numbers(form.numbers.data or "", lo, hi) or None
        except svc.BadgeError as e:
            form.numbers.errors = [str(e)]
        else:
            people = svc.holders(
                None if target_event else petition,
                target_event,
                only_unprinted=form.only_unprinted.data,
                numbers=numbers,
                sort=form.sort.data,
            )
            blanks = form.blanks.data or 0
            if people or blanks:
                return _sheet_pdf(petition, target_event, form, people, blanks)
            flash("No one matches those choices, so there is nothing to print.", "error")
    return form_page(
        "badges/sheets.html",
        form,
        petition=petition,
        event=event,
        design=svc.design_for(petition),
        sheets=svc.recent_sheets(petition, event),
        stocks=svc.SHEET_STOCKS,
        range=svc.waitlist_range(petition),
    )


def _sheet_pdf(petition, event, form, people, blanks):
    stock = svc.SHEET_STOCKS[form.stock.data]
    source = event if event else petition
    title = localized(source, "name" if event else "title", form.lang.data)
    qr_url = svc.badge_qr_url(petition, event)
    badges = svc.badges_for(
        people, svc.design_for(petition), lang=form.lang.data, title=title, qr_url=qr_url,
        blanks=blanks,
    )  # fmt: skip
    buf = io.BytesIO()
    render(
        buf, badges, stock, offset_mm=svc.offsets_for(petition)[stock.key],
        cut_lines=form.cut_lines.data, title=title,
    )  # fmt: skip
    sheet = svc.record_sheet(current_user, stock, people, blanks, petition=petition, event=event)
    db.session.commit()
    slug = event.slug if event else petition.slug
    return _pdf_response(buf, f"badges-{slug}-{stock.key}-{sheet.id}.pdf")


@bp.post("/manage/badges/sheets/<int:sheet_id>/printed")
@organizer_required
def mark_printed(sheet_id):
    sheet = db.get_or_404(BadgeSheet, sheet_id)
    n = svc.mark_printed(sheet, current_user)
    db.session.commit()
    if n or sheet.badge_count == 0:
        flash(f"Sheet {sheet.id} marked as printed ({n} badges).", "ok")
    else:
        flash(f"Sheet {sheet.id} was already marked as printed.", "ok")
    if sheet.event_id:
        return redirect(url_for(".event_sheets", slug=db.get_or_404(Event, sheet.event_id).slug))
    return redirect(
        url_for(".petition_sheets", slug=db.get_or_404(Petition, sheet.petition_id).slug)
    )


@bp.route("/manage/badges/p/<slug>/design", methods=["GET", "POST"])
@organizer_required
def design(slug):
    petition = petition_or_404(slug)
    current = svc.design_for(petition)
    offsets = svc.offsets_for(petition)
    form = DesignForm()
    if not form.is_submitted():
        for field in ("line_above", "line_below", "line_above_es", "line_below_es"):
            form[field].data = getattr(current, field)
        form.number_format.data = current.number_format
        form.show_first_name.data = current.show_first_name
        for stock, fx, fy in form.offset_fields():
            fx.data, fy.data = offsets[stock.key]
    if form.validate_on_submit():
        svc.save_design(
            petition,
            svc.Design(
                form.line_above.data or "", form.line_below.data or "",
                form.line_above_es.data or "", form.line_below_es.data or "",
                form.number_format.data, form.show_first_name.data,
            ),
            {stock.key: (fx.data, fy.data) for stock, fx, fy in form.offset_fields()},
        )  # fmt: skip
        db.session.commit()
        flash("Badge design saved.", "ok")
        return redirect(url_for(".design", slug=slug))
    return form_page("badges/design.html", form, petition=petition)


@bp.get("/manage/badges/p/<slug>/sample.pdf")
@organizer_required
def sample(slug):
    """One badge with a made-up number on the chosen stock, to check a design and calibration."""
    petition = petition_or_404(slug)
    stock = svc.STOCKS.get(request.args.get("stock", svc.DEFAULT_STOCK))
    if stock is None:
        abort(404)
    lang = request.args.get("lang") if request.args.get("lang") in ("en", "es") else "en"
    lo, hi = svc.waitlist_range(petition)
    people = [svc.Holder("signature", 0, max(lo, min(hi, 1234)), "Alex")] * stock.per_page
    badges = svc.badges_for(
        people, svc.design_for(petition), lang=lang, title=localized(petition, "title", lang),
        qr_url=svc.badge_qr_url(petition),
    )  # fmt: skip
    buf = io.BytesIO()
    render(
        buf, badges, stock, offset_mm=svc.offsets_for(petition)[stock.key], cut_lines=True,
        note=svc.print_note(lang) if stock.kind == "single" else "",
        title=localized(petition, "title", lang),
    )  # fmt: skip
    return _pdf_response(buf, f"badge-sample-{stock.key}.pdf")


@bp.app_template_global("badge_counts")
def badge_counts(petition) -> tuple[int, int]:
    return svc.counts(petition)
