"""What a URL names, loaded for a view — or a 404. Shared by every blueprint."""

from flask import abort
from sqlalchemy import bindparam, select

from .extensions import db
from .models import Event, Petition, PetitionStatus

SLUG_MAX = 80


def _check(slug: str) -> None:
    # No query for what can never be a slug (a NUL byte would even upset PostgreSQL).
    if len(slug) > SLUG_MAX or not slug.isprintable():
        abort(404)


# Built once: the busiest pages only bind the slug.
_PETITION = select(Petition).where(Petition.slug == bindparam("slug"))
_EVENT = select(Event).where(Event.slug == bindparam("slug"))


def petition_or_404(slug: str) -> Petition:
    _check(slug)
    petition = db.session.scalars(_PETITION, {"slug": slug}).first()
    if petition is None:
        abort(404)
    return petition


def public_petition_or_404(slug: str) -> Petition:
    """Published or closed petitions only: drafts do not exist for the public."""
    petition = petition_or_404(slug)
    if petition.status == PetitionStatus.DRAFT:
        abort(404)
    return petition


def event_or_404(slug: str) -> Event:
    _check(slug)
    event = db.session.scalars(_EVENT, {"slug": slug}).first()
    if event is None:
        abort(404)
    return event
