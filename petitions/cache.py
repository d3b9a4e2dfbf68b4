"""Small in-process caches whose entries expire (a few seconds of staleness in exchange
for no query on a hot path). Each use keeps its own; tests clear them all between runs."""

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_all: list["Expiring"] = []


class Expiring:
    def __init__(self, max_items: int = 1000):
        self._items: dict[Hashable, tuple[float, Any]] = {}
        self._max_items = max_items  # misses are remembered too: keep floods bounded
        self._lock = threading.Lock()
        _all.append(self)

    def get(self, key: Hashable, ttl: float, compute: Callable[[], Any]) -> Any:
        """The cached value for key, or compute() remembered for ttl seconds."""
        now = time.monotonic()
        hit = self._items.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        if ttl > 0:
            with self._lock:
                if len(self._items) >= self._max_items:
                    self._items.clear()
                self._items[key] = (now + ttl, value)
        return value

    def replace(self, key: Hashable, value: Any) -> None:
        """Change a cached value, keeping its expiry (nothing happens if it is gone)."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items[key] = (hit[0], value)

    def forget(self, *keys: Hashable) -> None:
        with self._lock:
            for key in keys:
                self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def clear_all() -> None:
    for cache in _all:
        cache.clear()
