"""The audit log: record an action, and read the log back for the people allowed to.

`record(...)` adds one row to the session and does not commit: the caller commits once,
with the change it records, so an action and its entry land together (or neither does).
Details name things (a slug, a row count, a role), never a signer's personal data."""

from dataclasses import dataclass
from datetime import date

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select

from petitions.core.extensions import db
from petitions.core.timezones import local_day_bounds
from petitions.models import AuditEntry, Petition, User

PAGE_SIZE = 100


def record(
    action: str,
    *,
    user: User | None = None,
    actor: str | None = None,
    object_type: str = "",
    object_id: object = "",
    petition: Petition | int | None = None,
    detail: str = "",
) -> AuditEntry:
    """Log `action` (an AuditAction or another short name, e.g. "retention.run").

    `user` defaults to whoever is logged in for this request (none from the CLI);
    `actor` to that user's email. The client address is the request's, as ProxyFix
    corrected it; empty outside a request (the CLI, a background job)."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()
    petition_id = petition.id if isinstance(petition, Petition) else petition
    entry = AuditEntry(
        action=str(action)[:40],
        user_id=user.id if user is not None else None,
        actor=(actor if actor is not None else user.email if user is not None else "")[:254],
        object_type=object_type[:40],
        object_id=str(object_id)[:120],
        petition_id=petition_id,
        detail=detail[:500],
        address=(request.remote_addr or "")[:45] if has_request_context() else "",
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    action: str | None = None
    since: date | None = None  # local days, both included
    until: date | None = None


def visible_to(viewer: User) -> Select:
    """Admins see everything; organizers the entries of the petitions they created."""
    query = select(AuditEntry)
    if not viewer.is_admin:
        own = select(Petition.id).where(Petition.created_by_id == viewer.id)
        query = query.where(AuditEntry.petition_id.in_(own))
    return query


def entries(viewer: User, f: AuditFilter, page: int = 1) -> tuple[list[AuditEntry], bool]:
    """One page of the log, newest first, and whether there is a next page."""
    query = visible_to(viewer)
    if f.user_id is not None:
        query = query.where(AuditEntry.user_id == f.user_id)
    if f.action:
        query = query.where(AuditEntry.action == f.action)
    if f.since is not None:
        query = query.where(AuditEntry.created_at >= local_day_bounds(f.since)[0])
    if f.until is not None:
        query = query.where(AuditEntry.created_at < local_day_bounds(f.until)[1])
    query = query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE)
    rows = db.session.scalars(query.limit(PAGE_SIZE + 1)).all()
    return list(rows[:PAGE_SIZE]), len(rows) > PAGE_SIZE


def actions_seen(viewer: User) -> list[str]:
    seen = visible_to(viewer).with_only_columns(AuditEntry.action).distinct()
    return list(db.session.scalars(seen))


def people() -> list[tuple[int, str]]:
    return [(i, e) for i, e in db.session.execute(select(User.id, User.email).order_by(User.email))]
