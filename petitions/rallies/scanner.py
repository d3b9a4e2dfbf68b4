import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

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
    body = {
        "name": f"Check-in: {event.name}",
        "short_name": "Check-in",
        "description": "Scan rally tickets, online or offline.",
        "id": url_for("scanner.scan", slug=event.slug),
        "start_url": url_for("scanner.scan", slug=event.slug),
        "scope": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {
                "src": url_for("static", filename=f"scanner/icon-{n}.png"),
                "sizes": f"{n}x{n}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for n in (192, 512)
        ],
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")


@lru_cache(maxsize=4)
def _service_worker(static_folder: str, static_url: str) -> str:
    root = Path(static_folder)
    digest = hashlib.sha256()
    for name in ASSETS + ("js/scanner-sw.js",):
        digest.update((root / name).read_bytes())
    assets = [f"{static_url}/{name}" for name in ASSETS]
    head = (
        f"self.SCANNER_VERSION = {json.dumps(digest.hexdigest()[:12])};\n"
        f"self.SCANNER_ASSETS = {json.dumps(assets)};\n"
        f"self.SCANNER_SCOPE = {json.dumps(SCOPE)};\n"
    )
    return head + (root / "js/scanner-sw.js").read_text()


@bp.get("/manage/e/scanner-sw.js")
def service_worker():
    """Served from here (not /static/) so that its scope covers /manage/e/<slug>/scan."""
    app = current_app
    body = _service_worker(app.static_folder, app.static_url_path)
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = SCOPE
    return response


@bp.app_template_filter("checkin_time")
def _checkin_time(dt, tz: str | None = None) -> str:
    return format_local(dt, tz) if dt else ""


@bp.app_template_filter("staff_name")
def _staff_name(user) -> str:
    return (svc.display_name(user.name, user.email) or "") if user is not None else ""
