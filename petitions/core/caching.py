"""Short-lived shared values in Flask-Caching (this process by default; Redis with
REDIS_URL, so every worker and app host shares them).

A cache that is down (Redis unreachable) only costs the work it would have saved, as in
Flask-Caching's own decorators: the value is computed, and the outage logged when it
begins and when it ends (core.outage), not on every request."""

from collections.abc import Callable
from typing import Any

from flask import current_app

from petitions.core.extensions import cache
from petitions.core.outage import CACHE


def remember(key: str, compute: Callable[[], Any], seconds: float | None = None) -> Any:
    """compute()'s value, kept for `seconds` (default COUNT_CACHE_SECONDS; 0: not kept).
    None is never kept: the next call computes again."""
    if seconds is None:
        seconds = float(current_app.config["COUNT_CACHE_SECONDS"])
    if seconds <= 0:
        return compute()
    try:
        value = cache.get(key)
    except Exception as e:
        CACHE.failed(e)
        return compute()
    CACHE.recovered()
    if value is None:
        value = compute()
        if value is not None:
            try:
                cache.set(key, value, timeout=max(1, round(seconds)))
            except Exception as e:
                CACHE.failed(e)
    return value


def remember_or_last(
    key: str,
    compute: Callable[[], Any],
    seconds: float,
    last_seconds: float,
    unavailable: Callable[[BaseException], bool],
) -> Any:
    """remember(), and when compute() fails with an error `unavailable` accepts (the
    database away), the last value computed within `last_seconds` instead of the error.
    Each value computed is also kept, under a key of its own, that much longer."""
    if seconds <= 0:
        return compute()

    def compute_and_keep():
        value = compute()
        try:
            cache.set(f"last:{key}", value, timeout=max(1, round(last_seconds)))
        except Exception as e:
            CACHE.failed(e)
        return value

    try:
        return remember(key, compute_and_keep, seconds)
    except Exception as e:
        if not unavailable(e):
            raise
        try:
            last = cache.get(f"last:{key}")
        except Exception as cache_error:
            CACHE.failed(cache_error)
            last = None
        if last is None:
            raise
        return last


def forget(*keys: str) -> None:
    """Drop kept values at once (they would expire within their seconds anyway)."""
    if not keys:
        return
    try:
        cache.delete_many(*keys)
    except Exception as e:
        CACHE.failed(e)
