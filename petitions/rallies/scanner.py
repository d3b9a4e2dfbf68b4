from flask import Blueprint, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from petitions.core import webapp
from petitions.core.access import staff_required
from petitions.core.responses import private
from petitions.core.timezones import format_local
from petitions.rallies import checkin as svc
from petitions.rallies.loaders import event_or_404

bp = Blueprint("scanner", __name__)

SCOPE = "/manage/e/"
# What the service worker keeps for offline use (besides the scanner pages themselves).
ASSETS = (
    "css/app.css",
    "css/scanner.css",
    "favicon.svg",
    "js/scanner.js",
    "vendor/jsqr/jsQR.js",
    "scanner/icon-192.png",
    "scanner/icon-512.png",
)


@bp.get("/manage/e/<slug>/scan")
@private  # it holds a CSRF token; the service worker keeps its own copy for offline use
@staff_required
def scan(slug: str):
    event = event_or_404(slug)
    return render_template(
        "rallies/scan.html",
        event=event,
        me=svc.display_name(current_user.name, current_user.email),
        csrf=generate_csrf(),
    )


@bp.get("/manage/e/<slug>/scan.webmanifest")
@private
@staff_required
def manifest(slug: str):
    event = event_or_404(slug)
    return webapp.manifest(
        name=f"Check-in: {event.name}",
        short_name="Check-in",
        description="Scan rally tickets, online or offline.",
        start_url=url_for("scanner.scan", slug=event.slug),
        scope=SCOPE,
    )


@bp.get("/manage/e/scanner-sw.js")
def service_worker():
    """Served from here (not /static/) so that its scope covers /manage/e/<slug>/scan."""
    return webapp.service_worker(
        script="js/scanner-sw.js", assets=ASSETS, prefix="SCANNER", scope=SCOPE
    )


@bp.app_template_filter("checkin_time")
def _checkin_time(dt, tz: str | None = None) -> str:
    return format_local(dt, tz) if dt else ""


@bp.app_template_filter("staff_name")
def _staff_name(user) -> str:
    return (svc.display_name(user.name, user.email) or "") if user is not None else ""
