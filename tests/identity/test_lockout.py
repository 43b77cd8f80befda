"""Who a lock stops: a client that keeps failing for an address, not the address's owner
signing in from elsewhere; and how many wrong passwords are checked at all, however many
arrive at once."""

import asyncio

from tests.identity.flows import sign_in
from tests.identity.test_throttling import WRONG, assert_rate_limited, fail
from tests.support.world import PASSWORD

# The documented factors (README, "Sign-in protection"), in multiples of the setting.
CLIENT_FACTOR = 4
CEILING_FACTOR = 10


def outcomes(results) -> list[str]:
    """Per sign-in: its payload error code, its top-level error code, or "OK"."""
    found = []
    for result in results:
        if result.errors:
            found.append(result.error_codes[0])
        else:
            errors = result.data["tokenCreate"]["errors"]
            found.append(errors[0]["code"] if errors else "OK")
    return found


async def test_the_owner_signs_in_from_elsewhere_while_the_attacker_stays_locked(
    api, api_elsewhere, world, settings
):
    attacker, owner = api, api_elsewhere
    await fail(attacker, "loner@example.test", settings.login_max_failures)
    assert_rate_limited(await sign_in(attacker, "loner@example.test", WRONG), settings)

    # The owner has not failed from where they are: their right password lets them in.
    assert (await sign_in(owner, "loner@example.test", PASSWORD)).ok("tokenCreate")
    # The attacker, even with the right password now, waits out their own lock.
    assert_rate_limited(await sign_in(attacker, "loner@example.test", PASSWORD), settings)


async def test_a_locked_address_refuses_a_client_once_it_has_failed(api, api_at, world, settings):
    await fail(api, "loner@example.test", settings.login_max_failures)
    newcomer = api_at("198.51.100.20")
    # One wrong password from a client that had not failed is checked, and answered...
    await fail(newcomer, "loner@example.test", 1)
    # ...but from then on, while the address is locked, that client is refused unchecked.
    assert_rate_limited(await sign_in(newcomer, "loner@example.test", PASSWORD), settings)
    assert (await sign_in(api_at("198.51.100.21"), "loner@example.test", PASSWORD)).ok(
        "tokenCreate"
    )


async def test_a_client_is_locked_for_an_address_even_after_its_owner_signed_in(
    api, api_elsewhere, world, settings
):
    await fail(api, "loner@example.test", settings.login_max_failures)
    assert (await sign_in(api_elsewhere, "loner@example.test", PASSWORD)).ok("tokenCreate")
    # The owner's sign-in forgave the address, not the client that failed for it.
    assert_rate_limited(await sign_in(api, "loner@example.test", PASSWORD), settings)


async def test_many_clients_lock_the_address_for_everyone(api_at, world, settings):
    ceiling = settings.login_max_failures * CEILING_FACTOR
    await fail(api_at("198.51.100.1"), "loner@example.test", settings.login_max_failures)
    for n in range(ceiling - settings.login_max_failures):
        await fail(api_at(f"198.51.101.{n + 1}"), "loner@example.test", 1)
    # Past the ceiling, guesses spread over many addresses stop being checked at all.
    fresh = api_at("198.51.102.1")
    assert_rate_limited(await sign_in(fresh, "loner@example.test", PASSWORD), settings)


async def test_concurrent_wrong_passwords_are_checked_at_most_the_limit(api, world, settings):
    limit = settings.login_max_failures
    results = await asyncio.gather(
        *(sign_in(api, "loner@example.test", WRONG) for _ in range(limit * 4))
    )
    found = outcomes(results)
    assert found.count("INVALID_CREDENTIALS") == limit
    assert found.count("RATE_LIMITED") == limit * 3
    assert_rate_limited(await sign_in(api, "loner@example.test", PASSWORD), settings)


async def test_concurrent_guesses_from_one_client_across_addresses_stop_at_its_limit(
    api, world, settings
):
    limit = settings.login_max_failures * CLIENT_FACTOR
    results = await asyncio.gather(
        *(sign_in(api, f"guess{n}@example.test", WRONG) for n in range(limit * 2))
    )
    assert outcomes(results).count("INVALID_CREDENTIALS") == limit


async def test_concurrent_guesses_from_many_clients_stop_at_the_ceiling(api_at, world, settings):
    ceiling = settings.login_max_failures * CEILING_FACTOR
    results = await asyncio.gather(
        *(
            sign_in(api_at(f"198.51.{100 + n // 200}.{n % 200 + 1}"), "loner@example.test", WRONG)
            for n in range(ceiling + 20)
        )
    )
    assert outcomes(results).count("INVALID_CREDENTIALS") == ceiling


async def test_concurrent_right_passwords_all_sign_in(api, world, settings):
    # Counting a check under way as a possible failure must not lock the owner out.
    limit = settings.login_max_failures * CLIENT_FACTOR
    results = await asyncio.gather(
        *(sign_in(api, "loner@example.test", PASSWORD) for _ in range(limit + 5))
    )
    # Past the limit, the sign-ins that arrived while others were being checked are told
    # to come back in a second, not to wait out a lock; none of them counted as a failure.
    found = outcomes(results)
    assert found.count("OK") >= settings.login_max_failures
    refused = [r for r, outcome in zip(results, found, strict=True) if outcome != "OK"]
    assert {r.errors[0]["extensions"]["retryAfter"] for r in refused} <= {1}
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")
    await fail(api, "loner@example.test", settings.login_max_failures - 1)
    assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")
