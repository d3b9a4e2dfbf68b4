"""Who is calling the API: a bearer API token, or a logged-in staff session (with CSRF)."""

from datetime import datetime, timedelta
from typing import NamedTuple

from flask import abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import bindparam, select, update

from petitions.core import audit
from petitions.core.caching import forget, remember
from petitions.core.extensions import csrf, db
from petitions.core.tokens import new_token, token_hash
from petitions.models import AuditAction, User
from petitions.models.api_token import ApiToken
from petitions.models.base import utcnow

TOKEN_PREFIX = "pt_"
LAST_USED_GRANULARITY = timedelta(minutes=5)


def create_api_token(user: User, name: str = "", via: str = "") -> tuple[ApiToken, str]:
    """A new token for the user, in the audit log; the clear token is returned once and
    never stored. `via` notes where it was made when no one is logged in ("CLI")."""
    clear = TOKEN_PREFIX + new_token(32)
    row = ApiToken(user_id=user.id, name=name[:120], token_hash=token_hash(clear))
    db.session.add(row)
    db.session.flush()
    audit.record(
        AuditAction.API_TOKEN_CREATE,
        object_type="api_token",
        object_id=row.id,
        detail=_detail(f"for {user.email}", row.name, via),
    )
    return row, clear


def revoke_api_token(row: ApiToken, via: str = "") -> bool:
    """Revoke (in the session, in the audit log); False when it was revoked already. After
    the commit, forget_token(row) refuses it at once."""
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    audit.record(
        AuditAction.API_TOKEN_REVOKE,
        object_type="api_token",
        object_id=row.id,
        detail=_detail(f"of {row.user.email}", row.name, via),
    )
    return True


def _detail(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def all_api_tokens() -> list[tuple[ApiToken, str]]:
    """Every token with its owner's email, oldest first (the secret is not stored)."""
    query = select(ApiToken, User.email).join(User).order_by(ApiToken.id)
    return [(t, email) for t, email in db.session.execute(query)]


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


class _Caller(NamedTuple):
    token_id: int
    staff: Staff
    last_used_at: datetime | None


# Built once: every API call only binds its token's hash.
_LIVE_TOKEN = (
    select(ApiToken.id, ApiToken.last_used_at, User.id, User.name, User.email, User.role)
    .join(User, User.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


def _lookup(digest: str) -> _Caller | None:
    """The live token with this hash and its active owner, or None. A scanner sends its
    token with every scan: the answer is kept for COUNT_CACHE_SECONDS, so a revoked token
    or a deactivated account is refused within those seconds (at once where forget_token
    runs, or everywhere with Redis)."""

    def find() -> _Caller | None:
        row = db.session.connection().execute(_LIVE_TOKEN, {"digest": digest}).first()
        if row is None:
            return None
        token_id, last_used_at, *staff = row
        return _Caller(token_id, Staff(*staff), last_used_at)

    return remember(_cache_key(digest), find)


def _cache_key(digest: str) -> str:
    return f"api-token:{digest}"


def forget_token(token: ApiToken) -> None:
    """After revoking a token: refuse it at once."""
    forget(_cache_key(token.token_hash))


def forget_tokens_of(user: User) -> None:
    """After deactivating an account: refuse its tokens at once."""
    hashes = db.session.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == user.id))
    forget(*(_cache_key(h) for h in hashes))


def _bearer_user() -> Staff:
    value = request.headers.get("Authorization", "")
    scheme, _, clear = value.partition(" ")
    if scheme.lower() != "bearer" or not clear.strip():
        _unauthorized("Use 'Authorization: Bearer <token>'.")
    return token_user(clear)


def token_user(clear: str) -> Staff:
    """The staff user behind a clear API token (as sent by the check-in API's bearer
    header or the OSDI API's OSDI-API-Token header), or abort 401 with a JSON error."""
    digest = token_hash(clear.strip())
    caller = _lookup(digest) if clear.strip() else None
    if caller is None:
        _unauthorized("That API token is not valid (unknown or revoked).")
    g.api_token = (digest, caller)
    g.api_token_stale = (
        caller.last_used_at is None or utcnow() - caller.last_used_at > LAST_USED_GRANULARITY
    )
    return caller.staff


def touch_api_token() -> None:
    """Note when the calling API token was last used (at most once per 5 minutes), in the
    session: writing endpoints call it, and commit it with their own change."""
    if g.get("api_token_stale"):
        digest, caller = g.api_token
        db.session.execute(
            update(ApiToken).where(ApiToken.id == caller.token_id).values(last_used_at=utcnow())
        )
        forget(_cache_key(digest))  # or the next scans would see the old time, and write
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
