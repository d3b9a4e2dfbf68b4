"""What a URL names, loaded for a view — or a 404. Shared by every blueprint."""

from flask import abort
from sqlalchemy import bindparam, event, inspect, select

from petitions.core.caching import forget, remember
from petitions.core.extensions import db
from petitions.models import Event, Petition, PetitionStatus

SLUG_MAX = 80

# Built once: the busiest pages only bind the slug.
_PETITION = select(Petition).where(Petition.slug == bindparam("slug"))
_EVENT = select(Event).where(Event.slug == bindparam("slug"))


def _check(slug: str) -> None:
    # No query for what can never be a slug (a NUL byte would even upset PostgreSQL).
    if len(slug) > SLUG_MAX or not slug.isprintable():
        abort(404)


def _by_slug_or_404(statement, slug: str):
    _check(slug)
    found = db.session.scalars(statement, {"slug": slug}).first()
    if found is None:
        abort(404)
    return found


def petition_or_404(slug: str) -> Petition:
    return _by_slug_or_404(_PETITION, slug)


def public_petition_or_404(slug: str) -> Petition:
    """Published or closed petitions only: drafts do not exist for the public.

    Every page view and signature of a petition asks for it: it is kept in the cache for
    COUNT_CACHE_SECONDS and joins the session without a query (merge with load=False, the
    way SQLAlchemy documents for cached objects). A change to the petition forgets it."""
    _check(slug)

    def find() -> Petition | None:
        petition = db.session.scalars(_PETITION, {"slug": slug}).first()
        if petition is None or petition.status == PetitionStatus.DRAFT:
            return None
        return petition

    petition = remember(_petition_key(slug), find)
    if petition is None:
        abort(404)
    return db.session.merge(petition, load=False)


def event_or_404(slug: str) -> Event:
    return _by_slug_or_404(_EVENT, slug)


def _petition_key(slug: str) -> str:
    return f"petition:{slug}"


@event.listens_for(Petition, "after_update")
@event.listens_for(Petition, "after_delete")
def _forget_changed_petition(_mapper, _connection, petition: Petition) -> None:
    slugs = {petition.slug, *inspect(petition).attrs.slug.history.deleted}
    forget(*(_petition_key(slug) for slug in slugs if slug))
