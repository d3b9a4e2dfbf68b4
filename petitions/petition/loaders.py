"""The petition a URL names, loaded for a view — or a 404."""

from flask import abort
from sqlalchemy import bindparam, event, inspect, select

from petitions.core.caching import forget, remember
from petitions.core.extensions import db
from petitions.core.loaders import by_slug_or_404, check_slug
from petitions.models import Petition, PetitionStatus

# Built once: the busiest pages only bind the slug.
_PETITION = select(Petition).where(Petition.slug == bindparam("slug"))


def petition_or_404(slug: str) -> Petition:
    return by_slug_or_404(_PETITION, slug)


def public_petition_or_404(slug: str) -> Petition:
    """Published or closed petitions only: drafts do not exist for the public.

    Every page view and signature of a petition asks for it: it is kept in the cache for
    COUNT_CACHE_SECONDS and joins the session without a query (merge with load=False, the
    way SQLAlchemy documents for cached objects). A change to the petition forgets it."""
    check_slug(slug)

    def find() -> Petition | None:
        petition = db.session.scalars(_PETITION, {"slug": slug}).first()
        if petition is None or petition.status == PetitionStatus.DRAFT:
            return None
        return petition

    petition = remember(_petition_key(slug), find)
    if petition is None:
        abort(404)
    return db.session.merge(petition, load=False)


def _petition_key(slug: str) -> str:
    return f"petition:{slug}"


@event.listens_for(Petition, "after_update")
@event.listens_for(Petition, "after_delete")
def _forget_changed_petition(_mapper, _connection, petition: Petition) -> None:
    slugs = {petition.slug, *inspect(petition).attrs.slug.history.deleted}
    forget(*(_petition_key(slug) for slug in slugs if slug))
