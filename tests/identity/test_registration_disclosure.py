"""Nobody learns from the API whether an address has an account: not an anonymous caller
registering, nor a signed-in one moving their account to it.

A taken address gets exactly the answer a free one gets; instead, its owner gets an email
saying someone tried to use it (a few an hour at most).
"""

import asyncio

import pytest

from carnet import throttle
from models.identity import Locale, OneTimeToken, Session, User
from models.messaging import OutboxMessage
from tests.identity.flows import (
    NEW_PASSWORD,
    REGISTER,
    last_email,
    rate_limited,
    register,
    request_change,
    row_counts,
    sign_in,
    signed_in,
)
from tests.support.world import PASSWORD

NOTICE = "address_in_use"
NOTICE_LIMIT = throttle.REGISTRATION_ATTEMPT_MAIL.limit


def answer(result) -> tuple[int, dict]:
    """Everything a client reads in a response but its request id."""
    return result.status, result.body


async def attempt(api, email: str, **headers):
    data = {"email": email, "password": NEW_PASSWORD, "firstName": "Mallory"}
    return await api.execute(REGISTER, {"input": data}, **headers)


async def notices(to: str) -> list[OutboxMessage]:
    return await OutboxMessage.filter(recipient=to, template=NOTICE).order_by("id")


@pytest.mark.parametrize("spelling", ["loner@example.test", " LONER@Example.test "])
async def test_a_taken_address_gets_the_answer_a_free_one_gets(api, world, spelling):
    free = await attempt(api, "fresh@example.test")
    taken = await attempt(api, spelling)
    assert answer(taken) == answer(free)
    assert free.data == {"userRegister": {"user": None, "errors": []}}


async def test_in_french_too(api, world):
    free = await attempt(api, "fresh@example.test", **{"accept-language": "fr"})
    taken = await attempt(api, "loner@example.test", **{"accept-language": "fr"})
    assert answer(taken) == answer(free)


async def test_the_account_is_left_alone_and_its_owner_is_told(api, world):
    loner = world.loner.user
    await User.filter(id=loner.id).update(locale=Locale.FR)
    before = await User.get(id=loner.id)
    tokens_before = await OneTimeToken.all().count()

    (await attempt(api, "loner@example.test")).ok("userRegister")

    after = await User.get(id=loner.id)
    assert (after.password_hash, after.first_name, after.email_verified_at) == (
        before.password_hash,
        before.first_name,
        before.email_verified_at,
    )
    assert await User.filter(email="loner@example.test").count() == 1
    assert await Session.filter(user_id=loner.id, revoked_at=None).count() == 1
    assert await OneTimeToken.all().count() == tokens_before
    assert (await sign_in(api, "loner@example.test", NEW_PASSWORD)).payload_codes(
        "tokenCreate"
    ) == ["INVALID_CREDENTIALS"]
    (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")

    # The owner hears of it, in their own language, without any link to act on.
    message = await last_email("loner@example.test")
    assert message.template == NOTICE
    assert message.subject == "Tentative d’inscription avec votre adresse"
    assert "loner@example.test" in message.body_text
    assert "Mallory" not in message.body_text  # nothing the caller typed reaches the owner
    assert message.token_id is None and message.link_path == ""
    assert not await OutboxMessage.filter(recipient="loner@example.test", template="verify_email")


async def test_an_unverified_account_s_address_is_taken_too(api):
    (await register(api, "alice@example.test", password="alices own password")).ok(
        "userRegister"
    )
    free = await attempt(api, "fresh@example.test")
    again = await attempt(api, "alice@example.test")
    assert answer(again) == answer(free)
    # Alice's registration stands: her own password still signs her in.
    await signed_in(api, "alice@example.test", "alices own password")
    [notice] = await notices("alice@example.test")
    message = await last_email("alice@example.test", NOTICE)
    assert message.id == notice.id
    assert message.subject == "Someone tried to register with your address"
    assert "already has a Carnet account" in message.body_text
    assert "Forgot your password" in message.body_text


async def test_the_owner_is_told_a_few_times_an_hour_at_most(api, world):
    free = await attempt(api, "fresh@example.test")
    for _ in range(NOTICE_LIMIT + 2):
        assert answer(await attempt(api, "loner@example.test")) == answer(free)
    assert len(await notices("loner@example.test")) == NOTICE_LIMIT


async def test_two_registrations_at_once_get_the_same_answer(api):
    results = await asyncio.gather(
        register(api, "race@example.test"), register(api, "RACE@example.test")
    )
    assert answer(results[0]) == answer(results[1])
    assert results[0].data == {"userRegister": {"user": None, "errors": []}}
    assert await User.filter(email="race@example.test").count() == 1


class TestEmailChange:
    """emailChangeRequest needs a password, but anyone can register and sign in: it must
    not tell taken addresses from free ones either."""

    async def test_a_taken_address_gets_the_answer_a_free_one_gets(self, api, world):
        free = await request_change(api, world.loner, "fresh@example.test")
        taken = await request_change(api, world.loner, "Admin@Alpha.test")
        assert answer(taken) == answer(free)
        assert free.data == {"emailChangeRequest": {"ok": True, "errors": []}}

    async def test_nothing_moves_and_the_owner_is_told(self, api, world):
        before = await row_counts()
        (await request_change(api, world.loner, "admin@alpha.test")).ok("emailChangeRequest")
        counts = await row_counts()
        # One email (and its job), no link: nothing exists that could move the account.
        assert counts == {**before, "OutboxMessage": before["OutboxMessage"] + 1,
                          "Task": before["Task"] + 1}
        assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"
        message = await last_email("admin@alpha.test")
        assert message.template == NOTICE
        assert message.subject == "Someone tried to move an account to your address"
        assert "admin@alpha.test" in message.body_text
        assert "loner" not in message.body_text.lower()
        assert message.token_id is None and message.link_path == ""

    async def test_the_quotas_answer_alike_too(self, api, world):
        """The same quotas count a taken address as a free one: RATE_LIMITED comes at the
        same request for both."""
        window = throttle.EMAIL_CHANGE_MAIL.window_seconds
        askers = [world.loner, world.owner, world.viewer, world.agent]
        limit = throttle.EMAIL_CHANGE_MAIL.limit
        for address in ("fresh@example.test", "admin@alpha.test"):
            for asker in askers[:limit]:
                (await request_change(api, asker, address)).ok("emailChangeRequest")
            rate_limited(await request_change(api, askers[limit], address), window)
        assert len(await notices("admin@alpha.test")) == limit
