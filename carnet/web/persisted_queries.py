"""Storage for Automatic Persisted Queries (Apollo APQ).

A client sends ``extensions.persistedQuery.sha256Hash`` instead of the query
text; the server looks the text up by that hash. ``carnet.web.http.CarnetGraphQL``
does the protocol (hash checks, error codes); this module only stores
``sha256 hex digest -> query text``.

The store is Redis, so every API process behind the load balancer shares the
queries a client registered on any one of them, with a small in-process LRU in
front so hot queries cost no round trip. With ``redis=None`` the LRU is the
whole store (single process, tests, local development).

A mapping from a hash to its text never changes, so a local copy can never be
stale; the only reasons to forget an entry are the TTL and memory. Redis
failures degrade to cache misses (the client then resends the full query),
never to a failed request.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["DEFAULT_KEY_PREFIX", "DEFAULT_TTL", "PersistedQueryStore"]

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "carnet:apq:"
DEFAULT_TTL = timedelta(days=7)


class PersistedQueryStore:
    """``sha256 -> query`` store: optional shared Redis behind a local LRU.

    :param redis: a ``redis.asyncio.Redis`` client shared by the API processes,
        or ``None`` for an in-process-only store.
    :param key_prefix: prepended to the hash to form the Redis key, so several
        deployments (or tests) can share one Redis database.
    :param ttl: how long a stored query lives, in Redis and in the LRU.
        Clients re-register a forgotten query transparently (one extra round
        trip), so a TTL only bounds memory, not correctness.
    :param local_cache_size: entries kept in the in-process LRU.
    :param clock: monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        redis: Redis | None = None,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        ttl: timedelta | float = DEFAULT_TTL,
        local_cache_size: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ttl_seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
        if ttl_seconds <= 0:
            raise ValueError("ttl must be positive")
        if local_cache_size < 0:
            raise ValueError("local_cache_size must be >= 0")
        self.redis = redis
        self.key_prefix = key_prefix
        self.ttl_seconds = ttl_seconds
        self.local_cache_size = local_cache_size
        self._clock = clock
        # sha -> (query, monotonic expiry). Insertion order doubles as recency.
        self._local: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def key(self, sha256_hash: str) -> str:
        """The Redis key under which ``sha256_hash`` is stored."""
        return f"{self.key_prefix}{sha256_hash}"

    async def get(self, sha256_hash: str) -> str | None:
        """Return the query registered under ``sha256_hash``, or ``None``."""
        query = self._local_get(sha256_hash)
        if query is not None or self.redis is None:
            return query
        try:
            value = await self.redis.get(self.key(sha256_hash))
        except RedisError:
            # A miss makes the client send the full query, which still works
            # while Redis is down; failing the request would not.
            logger.warning("persisted query lookup failed; treating as a miss", exc_info=True)
            return None
        if value is None:
            return None
        query = value.decode() if isinstance(value, bytes) else str(value)
        # Redis keeps its own TTL; locally we only need *a* bound, and the
        # full TTL is safe because the text for a hash never changes.
        self._local_put(sha256_hash, query)
        return query

    async def set(self, sha256_hash: str, query: str) -> None:
        """Register ``query`` under ``sha256_hash`` (the caller verified the hash)."""
        self._local_put(sha256_hash, query)
        if self.redis is None:
            return
        try:
            # `px` rather than `ex` so fractional TTLs (tests) are honoured.
            await self.redis.set(
                self.key(sha256_hash), query, px=max(1, int(self.ttl_seconds * 1000))
            )
        except RedisError:
            # The current request can still run; other processes will just
            # see a miss and the client will register the query again.
            logger.warning("persisted query store failed; kept in-process only", exc_info=True)

    def clear_local(self) -> None:
        """Forget the in-process copies (Redis is untouched)."""
        self._local.clear()

    def _local_get(self, sha256_hash: str) -> str | None:
        entry = self._local.get(sha256_hash)
        if entry is None:
            return None
        query, expires_at = entry
        if expires_at <= self._clock():
            del self._local[sha256_hash]
            return None
        self._local.move_to_end(sha256_hash)
        return query

    def _local_put(self, sha256_hash: str, query: str) -> None:
        if self.local_cache_size == 0:
            return
        self._local[sha256_hash] = (query, self._clock() + self.ttl_seconds)
        self._local.move_to_end(sha256_hash)
        while len(self._local) > self.local_cache_size:
            self._local.popitem(last=False)
