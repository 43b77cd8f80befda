"""Two requests racing for the same thing: exactly one wins, the other gets a clean error."""

import asyncio

from models.identity import OneTimeToken, Session, User
from tests.identity.flows import (
    REFRESH,
    VERIFY,
    digest,
    mailed_token,
    register,
)


async def test_two_registrations_of_one_address_make_one_account(api):
    results = await asyncio.gather(
        register(api, "race@example.test"), register(api, "RACE@example.test")
    )
    # Same answer for both: the loser's address was taken (by the winner), which an
    # anonymous caller must not learn; the winner's address gets a note about it instead.
    assert [r.payload("userRegister") for r in results] == [{"user": None, "errors": []}] * 2
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


async def test_one_refresh_token_swapped_twice_at_once_keeps_the_session(api, world):
    # Two tabs of one browser whose access token expired at the same moment.
    variables = {"input": {"refreshToken": world.loner.refresh_token}}
    results = await asyncio.gather(*(api.execute(REFRESH, variables) for _ in range(2)))
    tokens = [r.ok("tokenRefresh") for r in results]
    assert tokens[0]["refreshToken"] != tokens[1]["refreshToken"]
    (session,) = await Session.filter(user_id=world.loner.user.id, revoked_at=None)
    # Both tabs' refresh tokens still swap: one is current, the other the previous one.
    assert {session.refresh_token_hash, session.previous_refresh_token_hash} == {
        digest(t["refreshToken"]) for t in tokens
    }
    assert session.access_token_hash in {digest(t["accessToken"]) for t in tokens}
