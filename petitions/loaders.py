"""What a URL names, loaded for a view — or a 404. Shared by every blueprint."""

from flask import abort
from sqlalchemy import select

from .extensions import db
from .models import Event, Petition

SLUG_MAX = 80


def _check(slug: str) -> None:
    # No query for what can never be a slug (a NUL byte would even upset PostgreSQL).
    if len(slug) > SLUG_MAX or not slug.isprintable():
        abort(404)


def petition_or_404(slug: str) -> Petition:
    _check(slug)
    return db.first_or_404(select(Petition).where(Petition.slug == slug))


def event_or_404(slug: str) -> Event:
    _check(slug)
    return db.first_or_404(select(Event).where(Event.slug == slug))
