"""The installable, offline pages (the scanner, the kiosk): their web app manifest and
their service worker, served by the part that owns the page.

A service worker is served from under the pages it controls (not /static/), with the list
of static files it keeps for offline use and a version that changes whenever one of them
(or the worker itself) does, so phones pick up a new release by themselves."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Response, current_app, url_for

ICON_SIZES = (192, 512)


def manifest(*, name: str, short_name: str, description: str, start_url: str, scope: str):
    body = {
        "name": name,
        "short_name": short_name,
        "description": description,
        "id": start_url,
        "start_url": start_url,
        "scope": scope,
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
            for n in ICON_SIZES
        ],
    }
    return Response(json.dumps(body), mimetype="application/manifest+json")


@lru_cache(maxsize=8)
def _script(static_folder: str, static_url: str, script: str, assets: tuple, prefix: str,
            scope: str) -> str:  # fmt: skip
    root = Path(static_folder)
    digest = hashlib.sha256()
    for name in (*assets, script):
        digest.update((root / name).read_bytes())
    head = (
        f"self.{prefix}_VERSION = {json.dumps(digest.hexdigest()[:12])};\n"
        f"self.{prefix}_ASSETS = {json.dumps([f'{static_url}/{name}' for name in assets])};\n"
        f"self.{prefix}_SCOPE = {json.dumps(scope)};\n"
    )
    return head + (root / script).read_text()


def service_worker(*, script: str, assets: tuple, prefix: str, scope: str) -> Response:
    """The worker `script` (a path under static/) with `self.<prefix>_VERSION`,
    `_ASSETS` and `_SCOPE` set before it; allowed to control `scope`."""
    app = current_app
    body = _script(app.static_folder, app.static_url_path, script, assets, prefix, scope)
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = scope
    return response
