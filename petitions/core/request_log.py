"""One JSON line per request on stdout (REQUEST_LOG), for journald or a log collector.

Only what running the site needs: method, path, status, duration, a request id and the
client's address. Never query strings (search terms, `?next=`), bodies, emails or user
ids; secret tokens in paths (tickets, confirm and remove links, poster keys) are written
as their route's placeholder."""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, request

log = logging.getLogger("petitions.requests")
# A proxy's id (nginx's $request_id is 32 hex digits) is kept when it looks like one.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{8,64}")
_START = "petitions.request_start"
_ID = "petitions.request_id"


class _Stdout(logging.StreamHandler):
    """Writes to sys.stdout as it is at each line (gunicorn and test runners swap it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


def init_app(app: Flask) -> None:
    """Registered before the other extensions, so the clock starts before CSRF and rate
    limits are checked and their refusals are logged too."""
    if not app.config["REQUEST_LOG"]:
        return
    if not log.handlers:
        handler = _Stdout()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # the line is the whole record; no second copy via root
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    request.environ[_START] = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    request.environ[_ID] = given if REQUEST_ID_RE.fullmatch(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    started = request.environ.get(_START)
    request_id = request.environ.get(_ID) or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    line = {
        "method": request.method,
        "path": logged_path(),
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        "request_id": request_id,
        "remote_addr": request.remote_addr,
    }
    log.info(json.dumps(line, separators=(",", ":")))
    return response


def _is_secret(name: str) -> bool:
    return name in ("token", "key") or name.endswith("_token")


def logged_path() -> str:
    """request.path with the values of token-like route arguments replaced by <name>."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if _is_secret(name) and value:
            path = path.replace(str(value), f"<{name}>")
    return path
