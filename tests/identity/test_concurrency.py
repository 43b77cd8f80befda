"""Two requests racing for the same thing: exactly one wins, the other gets a clean error."""

import asyncio

from models.identity import OneTimeToken, Session, User
from tests.identity.flows import (
    REFRESH,
    VERIFY,
    mailed_token,
    register,
)


async def test_two_registrations_of_one_address_make_one_account(api):
    results = await asyncio.gather(
        register(api, "race@example.test"), register(api, "RACE@example.test")
    )
    outcomes = sorted([e["code"] for e in r.payload("userRegister")["errors"]] for r in results)
    assert outcomes == [[], ["ALREADY_EXISTS"]]
    assert await User.filter(email="race@example.test").count() == 1


async def test_a_link_opened_twice_at_once_is_used_once(api):
    await register(api, "alice@example.test")
    token = await mailed_token("alice@example.test", "verify_email")
    results = await asyncio.gather(
        *(api.execute(VERIFY, {"input": {"token": token}}) for _ in range(2))
    )
    outcomes = sorted([e["code"] for e in r.payload("emailVerify")["errors"]] for r in results)
    assert outcomes == [[], ["TOKEN_USED"]]
    assert (await OneTimeToken.get()).used_at is not None


async def test_one_refresh_token_swapped_twice_at_once_ends_the_session(api, world):
    variables = {"input": {"refreshToken": world.loner.refresh_token}}
    results = await asyncio.gather(*(api.execute(REFRESH, variables) for _ in range(2)))
    outcomes = sorted([e["code"] for e in r.payload("tokenRefresh")["errors"]] for r in results)
    # The second swap presents a token the first one already replaced: a copy, as far as
    # the server can tell.
    assert outcomes == [[], ["TOKEN_REVOKED"]]
    assert await Session.filter(user_id=world.loner.user.id, revoked_at=None).count() == 0
