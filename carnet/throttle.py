"""Sign-in throttling in Redis: too many failures per email or per client → RATE_LIMITED."""

from __future__ import annotations

from carnet import queue
from carnet.settings import current_settings


def _keys(email: str, client: str) -> list[str]:
    prefix = current_settings().redis_prefix
    return [f"{prefix}:login-fail:email:{email}", f"{prefix}:login-fail:client:{client}"]


async def retry_after(email: str, client: str) -> int:
    """Seconds until another attempt is allowed; 0 when allowed now."""
    settings = current_settings()
    redis = queue.pool()
    wait = 0
    for key in _keys(email, client):
        failures = int(await redis.get(key) or 0)
        # A client gets more room than one address: several people may share an IP.
        limit = settings.login_max_failures * (1 if ":email:" in key else 4)
        if failures >= limit:
            wait = max(wait, await redis.ttl(key), 1)
    return wait


async def record_failure(email: str, client: str) -> None:
    window = current_settings().login_failure_window_seconds
    redis = queue.pool()
    async with redis.pipeline(transaction=True) as pipe:
        for key in _keys(email, client):
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
        await pipe.execute()


async def reset(email: str) -> None:
    await queue.pool().delete(_keys(email, "")[0])
