"""Counters in Redis: sign-in failures (per address and per client) → RATE_LIMITED, and
quotas on the mail that public or self-service mutations send (per address, per user).

Every window is fixed, started by its first count, not sliding.
"""

from __future__ import annotations

from dataclasses import dataclass

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


# Counts a failure; the first one starts the window.
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


@dataclass(frozen=True)
class Quota:
    """At most `limit` uses per key (an address, a user id) within `window_seconds`."""

    bucket: str
    limit: int
    window_seconds: int


# Enough for a mail that got lost or a typo, too few to flood anyone's inbox. Each kind of
# mail has its own bucket, so exhausting one (anyone may ask for reset links to any
# address) does not block the others.
PASSWORD_RESET_MAIL = Quota("mail:password-reset", limit=3, window_seconds=3600)
VERIFICATION_MAIL = Quota("mail:verification", limit=3, window_seconds=3600)
EMAIL_CHANGE_MAIL = Quota("mail:email-change", limit=3, window_seconds=3600)  # per new address
EMAIL_CHANGE_BY_USER = Quota("email-change:user", limit=3, window_seconds=3600)  # per user id
# The note to an address's owner that someone tried to register with it (per address).
REGISTRATION_ATTEMPT_MAIL = Quota("mail:registration-attempt", limit=3, window_seconds=3600)

# All or nothing, in one step: counts one use against every key only if none is at its
# limit (a refused request uses nothing up); otherwise answers the longest remaining wait.
# KEYS are the counters; ARGV holds each one's limit and window, in turn.
_ALLOW = """
local wait = 0
for i, key in ipairs(KEYS) do
  local limit, window = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  if tonumber(redis.call('GET', key) or '0') >= limit then
    local ttl = redis.call('TTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, window)
      ttl = window
    end
    wait = math.max(wait, ttl, 1)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return 0
"""


async def allow(*uses: tuple[Quota, str]) -> int:
    """Counts one use of each (quota, key) and returns 0; or, when any of them is used up,
    counts nothing and returns the seconds until all of them allow it again."""
    prefix = current_settings().redis_prefix
    keys = [f"{prefix}:{quota.bucket}:{key}" for quota, key in uses]
    limits = [n for quota, _ in uses for n in (quota.limit, quota.window_seconds)]
    return int(await queue.pool().eval(_ALLOW, len(keys), *keys, *limits))


def invitation_mail_quotas(organization_id: int, inviter_id: int) -> list[tuple[Quota, str]]:
    """The uses one email sent in an organization's name at a staff member's request (an
    invitation, an access notice) counts: the organization's and the inviter's, whichever
    organization they send from. Limits and window are settings."""
    settings = current_settings()
    window = settings.invitation_quota_window_seconds
    return [
        (
            Quota(
                "mail:invitation:organization", settings.invitation_quota_per_organization, window
            ),
            str(organization_id),
        ),
        (
            Quota("mail:invitation:inviter", settings.invitation_quota_per_inviter, window),
            str(inviter_id),
        ),
    ]
