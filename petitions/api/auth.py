"""Who is calling the API: a bearer API token, or a logged-in staff session (with CSRF)."""

from datetime import timedelta

from flask import abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

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


def _bearer_user() -> User:
    value = request.headers.get("Authorization", "")
    scheme, _, clear = value.partition(" ")
    if scheme.lower() != "bearer" or not clear.strip():
        _unauthorized("Use 'Authorization: Bearer <token>'.")
    found = db.session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(clear.strip()))
    ).first()
    if found is None or found.ApiToken.revoked or not found.User.active:
        _unauthorized("That API token is not valid (unknown or revoked).")
    api_token, user = found
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at > LAST_USED_GRANULARITY:
        api_token.last_used_at = now  # committed with the request's own transaction
    g.api_token = api_token
    return user


def api_user() -> User:
    """The calling staff user, or abort 401. Session calls must carry X-CSRFToken."""
    if "Authorization" in request.headers:
        return _bearer_user()
    if current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # CSRFError → 400 JSON (errors.py)
        return current_user._get_current_object()
    _unauthorized("Log in, or send an API token.")
