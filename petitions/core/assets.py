"""Fingerprinted static URLs: `url_for('static', ...)` adds `?v=<hash of the file>`, so a
front server may let browsers keep static files for a year (deploy/nginx) and a changed
file still reaches everyone at once, under a new URL."""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def fingerprint_static(endpoint: str, values: dict) -> None:
    """url_defaults hook."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = Path(current_app.static_folder, values["filename"])
    try:
        values["v"] = _digest(path, path.stat().st_mtime_ns)
    except OSError:
        pass  # a missing file gets its 404 without a version
