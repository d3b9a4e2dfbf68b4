"""Who is calling the API: a bearer API token, or a logged-in staff session (with CSRF)."""

from datetime import datetime, timedelta
from typing import NamedTuple

from flask import abort, current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import DateTime, text

from .. import hotpath
from ..cache import Expiring
from ..extensions import csrf, db
from ..models import User
from ..models.api_token import ApiToken
from ..models.base import utcnow
from ..services.tokens import new_token, token_hash

TOKEN_PREFIX = "pt_"
LAST_USED_GRANULARITY = timedelta(minutes=5)


def create_api_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for the user; the clear token is returned once and never stored."""
    clear = TOKEN_PREFIX + new_token(32)
    row = ApiToken(user_id=user.id, name=name[:120], token_hash=token_hash(clear))
    db.session.add(row)
    db.session.flush()
    return row, clear


def _unauthorized(message: str):
    response = jsonify(error=message, status=401)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    abort(response)


class Staff(NamedTuple):
    """The caller behind an API token: what check-in needs, without loading the ORM user."""

    id: int
    name: str
    email: str
    role: str


_TOKEN_USER = text(
    "SELECT t.id AS token_id, t.last_used_at, t.revoked_at, u.id, u.name, u.email, u.role, "
    "u.active FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h"
).columns(last_used_at=DateTime(), revoked_at=DateTime())
_TOUCH = hotpath.Statement("UPDATE api_tokens SET last_used_at = :at WHERE id = :id", ["at"])


class _Caller(NamedTuple):
    token_id: int
    staff: Staff
    last_used_at: datetime | None


# A scanner sends a scan every second or two: its token is looked up once per
# COUNT_CACHE_SECONDS per process, not on every scan (a revoked token or deactivated
# account stops working within those seconds).
_callers = Expiring(max_items=10_000)


def _lookup(digest: str) -> _Caller | None:
    def load():
        row = db.session.connection().execute(_TOKEN_USER, {"h": digest}).first()
        if row is None or row.revoked_at is not None or not row.active:
            return None
        return _Caller(row.token_id, Staff(row.id, row.name, row.email, row.role), row.last_used_at)

    return _callers.get(digest, float(current_app.config["COUNT_CACHE_SECONDS"]), load)


def forget_api_tokens() -> None:
    """After revoking a token or deactivating an account: no cached answer survives here."""
    _callers.clear()


def _bearer_user() -> Staff:
    value = request.headers.get("Authorization", "")
    scheme, _, clear = value.partition(" ")
    if scheme.lower() != "bearer" or not clear.strip():
        _unauthorized("Use 'Authorization: Bearer <token>'.")
    digest = token_hash(clear.strip())
    caller = _lookup(digest)
    if caller is None:
        _unauthorized("That API token is not valid (unknown or revoked).")
    g.api_token = (digest, caller)
    g.api_token_stale = (
        caller.last_used_at is None or utcnow() - caller.last_used_at > LAST_USED_GRANULARITY
    )
    return caller.staff


def touch_api_token(tx: hotpath.Transaction) -> None:
    """Note when the calling API token was last used (at most once per 5 minutes). Called by
    writing endpoints inside their write transaction, so that reads never have to write."""
    if g.get("api_token_stale"):
        now = utcnow()
        digest, caller = g.api_token
        tx.execute(_TOUCH, {"at": now, "id": caller.token_id})
        _callers.replace(digest, caller._replace(last_used_at=now))
        g.api_token_stale = False


def api_user() -> User | Staff:
    """The calling staff user, or abort 401. Session calls must carry X-CSRFToken."""
    if "Authorization" in request.headers:
        return _bearer_user()
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # CSRFError → 400 JSON (errors.py)
        return current_user._get_current_object()
    _unauthorized("Log in, or send an API token.")
