"""Signature counts without a hot counter row.

Each sign is one INSERT; nothing is updated per signature (a single counter row
becomes the bottleneck when thousands sign a minute). The count is a COUNT(*)
over the indexed rows (ix_signatures_petition_counted), cached for
COUNT_CACHE_SECONDS: in this process, or in Redis when REDIS_URL is set so
every app host shares one cached value. So a count is exact within a couple of
seconds, and a flood of viewers costs one COUNT per petition per interval.

Counted = confirmed and not hidden.
"""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import func, select

from ..cache import Expiring
from ..extensions import db
from ..models import Petition, Signature

_local = Expiring()
_redis_clients: dict[str, object] = {}


def _counted(petition_id: int):
    return (
        Signature.petition_id == petition_id,
        Signature.hidden.is_(False),
        Signature.confirmed_at.is_not(None),
    )


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=0.5)
    return client


def _prefix() -> str:
    return current_app.config["CACHE_KEY_PREFIX"]


def _cached(key: str, compute):
    ttl = float(current_app.config["COUNT_CACHE_SECONDS"])
    if ttl <= 0:
        return compute()
    client = _redis()
    if client is not None:
        import redis

        full_key = _prefix() + key
        try:
            raw = client.get(full_key)
            if raw is not None:
                return json.loads(raw)
            value = compute()
            client.set(full_key, json.dumps(value), px=int(ttl * 1000))
            return value
        except redis.RedisError:
            current_app.logger.warning("Redis unavailable for the count cache; counting directly")
            return compute()
    return _local.get(key, ttl, compute)


def forget(petition: Petition) -> None:
    """Drop the cached values (after a confirm, removal or an organizer hiding a row)."""
    keys = [f"{kind}:{petition.id}" for kind in ("count", "towns", "recent")]
    _local.forget(*keys)
    client = _redis()
    if client is not None:
        import redis

        try:
            client.delete(*(_prefix() + k for k in keys))
        except redis.RedisError:
            pass


def signature_count(petition: Petition) -> int:
    def compute() -> int:
        return int(
            db.session.scalar(select(func.count(Signature.id)).where(*_counted(petition.id)))
        )

    return int(_cached(f"count:{petition.id}", compute))


def counts_by_town(petition: Petition) -> list[dict]:
    """[{"town": "Hartford", "count": 120}, ...], largest first; signatures without a town
    are left out (they are in signature_count)."""

    def compute() -> list[dict]:
        n = func.count(Signature.id)
        rows = db.session.execute(
            select(Signature.town, n)
            .where(*_counted(petition.id), Signature.town != "")
            .group_by(Signature.town)
            .order_by(n.desc(), Signature.town)
        ).all()
        return [{"town": town, "count": int(count)} for town, count in rows]

    return _cached(f"towns:{petition.id}", compute)


def recent_supporters(petition: Petition, limit: int = 8) -> list[dict]:
    """The latest counted signers who agreed to be shown: first name and town only."""

    def compute() -> list[dict]:
        rows = db.session.execute(
            select(Signature.given_name, Signature.town)
            .where(*_counted(petition.id), Signature.show_name.is_(True))
            .order_by(Signature.created_at.desc(), Signature.id.desc())
            .limit(limit)
        ).all()
        return [{"name": name, "town": town} for name, town in rows]

    return _cached(f"recent:{petition.id}", compute)
