"""Sign-in throttling: repeated failures per address or per client → RATE_LIMITED."""

import pytest

from models.identity import Session
from tests.identity.flows import rate_limited, sign_in
from tests.support.world import PASSWORD

WRONG = "not the password"


async def fail(api, email: str, times: int) -> None:
    for _ in range(times):
        payload = (await sign_in(api, email, WRONG)).payload("tokenCreate")
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]


def assert_rate_limited(result, settings) -> int:
    return rate_limited(result, settings.login_failure_window_seconds)


async def test_an_address_is_locked_after_too_many_failures(api, world, settings):
    await fail(api, "loner@example.test", settings.login_max_failures)
    sessions = await Session.all().count()

    # Even the right password is refused until the window has passed.
    result = await sign_in(api, "loner@example.test", PASSWORD)
    retry_after = assert_rate_limited(result, settings)
    assert result.errors[0]["message"] == f"Too many attempts. Try again in {retry_after} seconds."
    assert await Session.all().count() == sessions
    # Another spelling of the same address is the same address.
    assert_rate_limited(await sign_in(api, "LONER@example.test", PASSWORD), settings)
    # Other addresses are not affected.
    assert (await sign_in(api, "owner@alpha.test", PASSWORD)).ok("tokenCreate")


async def test_the_last_allowed_failure_is_still_answered_normally(api, world, settings):
    await fail(api, "loner@example.test", settings.login_max_failures - 1)
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")


async def test_the_lock_follows_the_address_to_any_client_that_fails(
    api, api_elsewhere, world, settings
):
    # (A client that has not failed is let try: see test_lockout.py.)
    await fail(api, "loner@example.test", settings.login_max_failures)
    await fail(api_elsewhere, "loner@example.test", 1)
    assert_rate_limited(await sign_in(api_elsewhere, "loner@example.test", PASSWORD), settings)


async def test_a_successful_sign_in_resets_the_count_for_the_address(api, world, settings):
    await fail(api, "loner@example.test", settings.login_max_failures - 1)
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")
    await fail(api, "loner@example.test", settings.login_max_failures - 1)
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")


async def test_unknown_addresses_are_throttled_like_known_ones(api, world, settings):
    await fail(api, "nobody@example.test", settings.login_max_failures)
    assert_rate_limited(await sign_in(api, "nobody@example.test", WRONG), settings)


async def test_a_client_trying_many_addresses_is_locked(api, api_elsewhere, world, settings):
    # A client gets more room than an address (people share addresses behind a NAT)...
    per_client = settings.login_max_failures * 4
    for i in range(per_client):
        await fail(api, f"guess{i}@example.test", 1)
    # ...but then it is refused, whatever the address, while other clients are not.
    assert_rate_limited(await sign_in(api, "loner@example.test", PASSWORD), settings)
    assert (await sign_in(api_elsewhere, "loner@example.test", PASSWORD)).ok("tokenCreate")


async def test_malformed_addresses_do_not_count(api, world, settings):
    for _ in range(settings.login_max_failures + 1):
        payload = (await sign_in(api, "loner", WRONG)).payload("tokenCreate")
        assert [e["code"] for e in payload["errors"]] == ["INVALID_EMAIL"]
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")


@pytest.mark.french_catalog
async def test_the_rate_limit_is_explained_in_french(api, world, settings):
    await fail(api, "loner@example.test", settings.login_max_failures)
    english = await sign_in(api, "loner@example.test", PASSWORD)
    french = await api.with_headers(**{"accept-language": "fr"}).execute(
        "mutation($i: TokenCreateInput!) { tokenCreate(input: $i) { accessToken } }",
        {"i": {"email": "loner@example.test", "password": PASSWORD}},
    )
    assert french.error_codes == english.error_codes == ["RATE_LIMITED"]
    assert french.errors[0]["extensions"]["retryAfter"] > 0
    assert french.errors[0]["message"] != english.errors[0]["message"]


@pytest.mark.french_catalog
async def test_a_wait_of_one_second_is_said_in_the_singular(api, world, settings):
    from carnet import queue

    await fail(api, "loner@example.test", settings.login_max_failures)
    # The lock's last moments: Redis rounds 0.5 to 1.4 s left to 1 second.
    redis = queue.pool()
    async for key in redis.scan_iter(match=f"{settings.redis_prefix}:login-fail:*"):
        await redis.pexpire(key, 1400)
    english = await sign_in(api, "loner@example.test", PASSWORD)
    french = await api.with_headers(**{"accept-language": "fr"}).execute(
        "mutation($i: TokenCreateInput!) { tokenCreate(input: $i) { accessToken } }",
        {"i": {"email": "loner@example.test", "password": PASSWORD}},
    )
    assert english.errors[0]["extensions"]["retryAfter"] == 1
    assert english.errors[0]["message"] == "Too many attempts. Try again in 1 second."
    assert french.errors[0]["message"] == "Trop de tentatives. Réessayez dans 1 seconde."
