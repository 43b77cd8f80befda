"""Counters in Redis: sign-in failures (per address, per client, per client for an address)
→ RATE_LIMITED, and quotas on the mail that public or self-service mutations send (per
address, per user).

Every window is fixed, started by its first count, not sliding.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carnet import queue
from carnet.settings import current_settings

# A client gets more room than one address: several people may share an IP.
CLIENT_FACTOR = 4
# A locked address still checks one password from each client that has not failed for it
# (its owner, elsewhere); past this many failures in all, it checks none, from anyone.
CEILING_FACTOR = 10


# How long a password check may take: an attempt whose process died mid-check stops
# counting as under way after this.
CHECK_TIMEOUT_SECONDS = 30


def _keys(email: str, client: str) -> list[str]:
    prefix = f"{current_settings().redis_prefix}:login-fail"
    return [
        # Failures: of the address, of the client, of the client for the address.
        f"{prefix}:email:{email}",
        f"{prefix}:client:{client}",
        f"{prefix}:pair:{client}:{email}",
        # Set once a refusal of this client for this address has been told about.
        f"{prefix}:told:{client}:{email}",
        # Checks under way, counted the same three ways.
        f"{prefix}:checking:email:{email}",
        f"{prefix}:checking:client:{client}",
        f"{prefix}:checking:pair:{client}:{email}",
    ]


@dataclass(frozen=True)
class Admission:
    wait: int  # seconds until the client may try again; 0 when its password is checked now
    first_refusal: bool = False  # the first refusal of this client for this address
    # Refused only because the checks under way would reach a limit if they all failed.
    busy: bool = False


# Decides and counts in one step: a check under way counts as the failure it may turn out
# to be, so attempts arriving together cannot all pass a limit none of them has reached
# yet. A refused attempt counts nothing.
# KEYS: see _keys. ARGV: the limit, the client's limit, the address's ceiling, the window,
# CHECK_TIMEOUT_SECONDS.
# A script rather than `EXPIRE ... NX`, which needs Redis 7 (the embedded server is 6.2).
_ADMIT = """
local limit, client_limit, ceiling, window, timeout =
  tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local function count(key) return tonumber(redis.call('GET', key) or '0') end
local function left(key)
  local ttl = redis.call('TTL', key)
  if ttl < 0 then redis.call('EXPIRE', key, window) ttl = window end
  return math.max(ttl, 1)
end
local function locked(address, client, pair)
  return client >= client_limit or pair >= limit or address >= ceiling
    or (address >= limit and pair > 0)
end
local address, client, pair = count(KEYS[1]), count(KEYS[2]), count(KEYS[3])
if locked(address, client, pair) then
  local wait = 0
  if client >= client_limit then wait = math.max(wait, left(KEYS[2])) end
  if pair >= limit then wait = math.max(wait, left(KEYS[3])) end
  if address >= ceiling then wait = math.max(wait, left(KEYS[1])) end
  if address >= limit and pair > 0 then
    wait = math.max(wait, math.min(left(KEYS[1]), left(KEYS[3])))
  end
  local first = redis.call('SET', KEYS[4], '1', 'NX', 'EX', wait) and 1 or 0
  return {wait, first, 0}
end
if locked(address + count(KEYS[5]), client + count(KEYS[6]), pair + count(KEYS[7])) then
  return {1, 0, 1}
end
for i = 5, 7 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], timeout)
end
return {0, 0, 0}
"""


async def admit(email: str, client: str) -> Admission:
    """Whether this client's password for this address may be checked now; if so, the
    check counts as under way until `settle`. The rule: README, "Sign-in protection"."""
    settings = current_settings()
    limit = settings.login_max_failures
    keys = _keys(email, client)
    wait, first, busy = await queue.pool().eval(
        _ADMIT,
        len(keys),
        *keys,
        limit,
        limit * CLIENT_FACTOR,
        limit * CEILING_FACTOR,
        settings.login_failure_window_seconds,
        CHECK_TIMEOUT_SECONDS,
    )
    return Admission(int(wait), bool(first), bool(busy))


class Outcome(StrEnum):
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    ABANDONED = "ABANDONED"  # the check itself broke: counts neither way


# Ends a check under way (never below zero: its count may have expired). A failure counts
# three ways, the first of each window starting it; a success forgives the address and
# this client's failures for it (not the client's failures for other addresses).
_SETTLE = """
for i = 5, 7 do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
if ARGV[1] == 'FAILED' then
  for i = 1, 3 do
    if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2]) end
  end
elseif ARGV[1] == 'SUCCEEDED' then
  redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
end
"""


async def settle(email: str, client: str, outcome: Outcome) -> None:
    keys = _keys(email, client)
    window = current_settings().login_failure_window_seconds
    await queue.pool().eval(_SETTLE, len(keys), *keys, outcome.value, window)


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
