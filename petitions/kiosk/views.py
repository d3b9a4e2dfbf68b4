"""The kiosk's pages, its web app manifest and service worker, and its sync endpoint.

Organizers and volunteers only. The page holds a CSRF token (it is private, no-store);
the service worker keeps its own copy for offline use, and the script fetches a fresh
token before a sync when the cached one has expired."""

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from petitions.core import audit, sections, webapp
from petitions.core.access import staff_required
from petitions.core.extensions import csrf, db
from petitions.core.responses import no_store, private
from petitions.core.timezones import iso_utc
from petitions.kiosk import sync as svc
from petitions.kiosk.forms import Setup, page_texts
from petitions.mail.transport import send
from petitions.models import Petition, PetitionStatus
from petitions.models.base import utcnow
from petitions.operations.retention import days_for
from petitions.petition.loaders import petition_or_404
from petitions.petition.signing import confirmation_message
from petitions.rallies.loaders import event_or_404

bp = Blueprint("kiosk", __name__)
sections.add(bp, "petition_actions", "kiosk/_petition_link.html")
# Where volunteers start (/manage/): a kiosk for canvassing each open petition.
sections.add(bp, "manage_index", "kiosk/_manage_index.html", order=15)


@bp.app_template_global("kiosk_petitions")
def open_petitions():
    return db.session.scalars(
        select(Petition)
        .where(Petition.status == PetitionStatus.PUBLISHED)
        .order_by(Petition.created_at.desc())
    ).all()


SCOPE = "/manage/"  # what the worker may control; each kiosk registers its own page's path
ASSETS = (
    "css/app.css",
    "css/kiosk.css",
    "favicon.svg",
    "js/kiosk.js",
    "scanner/icon-192.png",
    "scanner/icon-512.png",
)


def _page(setup: Setup, slug: str, title: str, sync_url: str, page_url: str):
    target = setup.event if setup.event is not None else setup.petition
    texts = {lang: page_texts(setup, lang) for lang in ("en", "es")}
    return render_template(
        "kiosk/kiosk.html",
        setup=setup,
        title=title,
        slug=slug,
        texts=texts,
        sync_url=sync_url,
        page_url=page_url,
        manifest_url=page_url + ".webmanifest",
        retention_days=days_for(target),
    )


@bp.get("/manage/e/<slug>/kiosk")
@private
@staff_required
def rally(slug: str):
    event = event_or_404(slug)
    url = url_for(".rally", slug=event.slug)
    return _page(Setup(event=event), event.slug, event.name, url_for(".rally_sync", slug=slug), url)


@bp.get("/manage/p/<slug>/kiosk")
@private
@staff_required
def petition(slug: str):
    p = petition_or_404(slug)
    url = url_for(".petition", slug=p.slug)
    return _page(Setup(petition=p), p.slug, p.title, url_for(".petition_sync", slug=slug), url)


def _manifest(name: str, url: str):
    return webapp.manifest(
        name=f"Welcome table: {name}",
        short_name="Welcome",
        description="Sign people in at the welcome table, online or offline.",
        start_url=url,
        scope=url,
    )


@bp.get("/manage/e/<slug>/kiosk.webmanifest")
@private
@staff_required
def rally_manifest(slug: str):
    event = event_or_404(slug)
    return _manifest(event.name, url_for(".rally", slug=event.slug))


@bp.get("/manage/p/<slug>/kiosk.webmanifest")
@private
@staff_required
def petition_manifest(slug: str):
    p = petition_or_404(slug)
    return _manifest(p.title, url_for(".petition", slug=p.slug))


@bp.get("/manage/kiosk-sw.js")
def service_worker():
    """Served from here (not /static/) so that it may control the kiosk pages."""
    return webapp.service_worker(
        script="js/kiosk-sw.js", assets=ASSETS, prefix="KIOSK", scope=SCOPE
    )


# --- sync -------------------------------------------------------------------------------


def _json_error(message: str, status: int):
    return no_store(jsonify(error=message, status=status)), status


@bp.post("/manage/e/<slug>/kiosk/sync.json")
@csrf.exempt  # checked below, once the caller is known to be logged in (a 401 first)
def rally_sync(slug: str):
    return _sync(lambda: Setup(event=event_or_404(slug)), slug, "event")


@bp.post("/manage/p/<slug>/kiosk/sync.json")
@csrf.exempt
def petition_sync(slug: str):
    return _sync(lambda: Setup(petition=petition_or_404(slug)), slug, "petition")


def _sync(load, slug: str, object_type: str):
    if not current_user.is_authenticated:
        # Logged out, or deactivated (its sessions end at once): nothing is stored.
        return _json_error("Your session has ended: log in again to send these entries.", 401)
    csrf.protect()  # the session's token in X-CSRFToken; CSRFError → 400
    setup = load()
    try:
        device, entries = svc.parse_batch(request.get_json(silent=True))
    except svc.BatchError as e:
        return _json_error(str(e), e.status)
    user = current_user._get_current_object()
    try:
        outcomes = svc.sync(setup, entries, user, device)
    except IntegrityError:
        # Not expected (claims and the services' own constraints settle races), but
        # never a 500: nothing is stored, and the device sends the batch again.
        db.session.rollback()
        return _json_error("Another sync got in the way: please send again.", 409)
    counts = svc.summary(outcomes)
    audit.record(
        "kiosk.sync",
        user=user,
        object_type=object_type,
        object_id=slug,
        petition=setup.petition.id if setup.petition is not None else None,
        detail=(
            f"device {device or '?'}: {len(entries)} entries, {counts['stored']} stored, "
            f"{counts['replayed']} sent before, {counts['refused']} refused"
        ),
    )
    db.session.commit()
    for o in outcomes:  # after the commit: a mail never speaks of a row not stored
        if o.signature is not None:
            send(confirmation_message(o.signature, o.language))
    return no_store(
        jsonify(
            results=[o.to_json() for o in outcomes],
            counts=counts,
            synced_at=iso_utc(utcnow()),
        )
    )
