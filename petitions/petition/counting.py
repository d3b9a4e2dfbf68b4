"""Signature counts without a hot counter row.

Each sign is one INSERT; nothing is updated per signature (a single counter row
becomes the bottleneck when thousands sign a minute). The count is a COUNT(*)
over the indexed rows (ix_signatures_petition_counted), kept in the cache
(Flask-Caching: this process by default, Redis with REDIS_URL so every app host
shares one value) for COUNT_CACHE_SECONDS. So a count is exact within a couple of
seconds, and a flood of viewers costs one COUNT per petition per interval.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, func, select

from petitions.core import caching
from petitions.core.caching import remember
from petitions.core.extensions import db
from petitions.core.places import town_label
from petitions.models import Petition, Signature

KINDS = ("count", "towns", "recent")


def _cached(kind: str, petition: Petition, compute: Callable[[], Any]) -> Any:
    return remember(f"{kind}:{petition.id}", compute)


def forget(petition: Petition) -> None:
    """Drop the cached values (after a confirm, removal or an organizer hiding a row)."""
    caching.forget(*(f"{kind}:{petition.id}" for kind in KINDS))


def counted(petition_id: int):
    """The WHERE clause for a petition's counted signatures (Signature.counted), for every
    query that counts or lists them."""
    return and_(Signature.petition_id == petition_id, Signature.counted)


def signature_count(petition: Petition) -> int:
    def compute() -> int:
        return int(db.session.scalar(select(func.count(Signature.id)).where(counted(petition.id))))

    return int(_cached("count", petition, compute))


def counts_by_town(petition: Petition) -> list[dict]:
    """[{"town": "Hartford", "count": 120}, ...], largest first; towns group by
    Signature.town_key, as on the dashboard and in the packet. Signatures without a town
    are left out (they are in signature_count)."""

    def compute() -> list[dict]:
        n = func.count(Signature.id)
        town_key, spelling = Signature.town_group()
        rows = db.session.execute(
            select(spelling, n)
            .where(counted(petition.id), town_key != "")
            .group_by(town_key)
            .order_by(n.desc(), town_key)
        ).all()
        return [{"town": town_label(town), "count": int(count)} for town, count in rows]

    return _cached("towns", petition, compute)


def recent_supporters(petition: Petition, limit: int = 8) -> list[dict]:
    """The latest counted signers who agreed to be shown: first name and town only."""

    def compute() -> list[dict]:
        rows = db.session.execute(
            select(Signature.given_name, Signature.town)
            .where(counted(petition.id), Signature.show_name.is_(True))
            .order_by(Signature.created_at.desc(), Signature.id.desc())
            .limit(limit)
        ).all()
        return [{"name": name, "town": town_label(town)} for name, town in rows]

    return _cached("recent", petition, compute)
