"""Is this app host able to serve? What a load balancer or monitor asks GET /healthz.

Each check answers ok or failed, never why: the reason (a host name, a driver message)
goes to the log, not to whoever can reach the URL, and only when the dependency goes
down and when it comes back (core.outage), not once per probe."""

from enum import StrEnum

from flask import current_app
from sqlalchemy import select

from petitions.core.extensions import db
from petitions.core.outage import DATABASE, REDIS

# Long enough for a busy Redis, short enough that a probe never hangs.
REDIS_TIMEOUT_SECONDS = 2


class Check(StrEnum):
    OK = "ok"
    FAILED = "failed"
    NOT_CONFIGURED = "not configured"


def database() -> Check:
    """A trivial query on a connection of its own (not the request's session)."""
    try:
        with db.engine.connect() as conn:
            conn.scalar(select(1))
    except Exception as e:  # whatever the reason, this host cannot serve
        DATABASE.failed(e)
        return Check.FAILED
    return Check.OK


def redis() -> Check:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return Check.NOT_CONFIGURED
    try:
        _redis_client(url).ping()
    except Exception as e:
        REDIS.failed(e)
        return Check.FAILED
    REDIS.recovered()
    return Check.OK


def _redis_client(url: str):
    """One client (and connection pool) per app and URL, not one per probe."""
    from redis import Redis

    clients = current_app.extensions.setdefault("health_redis", {})
    if url not in clients:
        clients[url] = Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
    return clients[url]


def run_checks() -> tuple[bool, dict[str, Check]]:
    """(healthy, each check's answer); a check that is not configured does not fail."""
    checks = {"database": database(), "redis": redis()}
    return all(c != Check.FAILED for c in checks.values()), checks
