"""What a URL names, loaded for a view — or a 404. The rule every part's loaders share:
what can never be a slug is refused without a query."""

from flask import abort

from petitions.core.extensions import db

SLUG_MAX = 80


def check_slug(slug: str) -> None:
    # No query for what can never be a slug (a NUL byte would even upset PostgreSQL).
    if len(slug) > SLUG_MAX or not slug.isprintable():
        abort(404)


def by_slug_or_404(statement, slug: str):
    """`statement` selects one model by a bound `slug` parameter."""
    check_slug(slug)
    found = db.session.scalars(statement, {"slug": slug}).first()
    if found is None:
        abort(404)
    return found
