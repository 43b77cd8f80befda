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


# Counts a failure; the first one starts the window (a fixed window, not a sliding one).
# A script rather than `EXPIRE ... NX`, which needs Redis 7 (the embedded server is 6.2),
# and rather than SET NX + INCR, where a key expiring in between would be counted forever.
_RECORD_FAILURE = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
"""


async def record_failure(email: str, client: str) -> None:
    window = current_settings().login_failure_window_seconds
    keys = _keys(email, client)
    await queue.pool().eval(_RECORD_FAILURE, len(keys), *keys, window)


async def reset(email: str) -> None:
    await queue.pool().delete(_keys(email, "")[0])
