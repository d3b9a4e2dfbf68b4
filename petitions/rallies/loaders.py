"""The event a URL names, loaded for a view — or a 404."""

from sqlalchemy import bindparam, select

from petitions.core.loaders import by_slug_or_404
from petitions.models import Event

_EVENT = select(Event).where(Event.slug == bindparam("slug"))


def event_or_404(slug: str) -> Event:
    return by_slug_or_404(_EVENT, slug)
