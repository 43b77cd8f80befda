"""Mail sent on request is rationed: a few links per address (and per user) an hour.

Over the quota, a password-reset request still answers ok and sends nothing (the answer
must not reveal who has an account); the signed-in requests answer RATE_LIMITED.
"""

from carnet import queue, throttle
from models.identity import OneTimeToken, TokenPurpose, User
from models.messaging import OutboxMessage
from tests.identity.flows import (
    NEW_PASSWORD,
    RESEND,
    RESET_REQUEST,
    VERIFY,
    confirm_change,
    error_codes,
    mailed_token,
    rate_limited,
    register,
    request_change,
    request_reset,
    reset,
    row_counts,
    signed_in,
)

RESET_LIMIT = throttle.PASSWORD_RESET_MAIL.limit
RESEND_LIMIT = throttle.VERIFICATION_MAIL.limit
CHANGE_LIMIT = throttle.EMAIL_CHANGE_MAIL.limit
PER_USER_LIMIT = throttle.EMAIL_CHANGE_BY_USER.limit


async def mails(to: str, template: str) -> int:
    return await OutboxMessage.filter(recipient=to, template=template).count()


async def quota_counters(settings, address: str) -> list[str]:
    pattern = f"{settings.redis_prefix}:mail:*:{address}"
    return [key async for key in queue.pool().scan_iter(match=pattern)]


class TestPasswordReset:
    async def test_over_the_quota_the_answer_is_the_same_and_nothing_is_sent(self, api, world):
        for _ in range(RESET_LIMIT):
            await request_reset(api, "loner@example.test")
        assert await mails("loner@example.test", "password_reset") == RESET_LIMIT
        unknown = await api.execute(RESET_REQUEST, {"input": {"email": "nobody@example.test"}})
        before = await row_counts()

        for spelling in ("loner@example.test", " LONER@Example.test "):
            over = await api.execute(RESET_REQUEST, {"input": {"email": spelling}})
            assert over.data == unknown.data == {"passwordResetRequest": {"ok": True, "errors": []}}
            assert over.errors == []
        assert await row_counts() == before
        # The last link mailed still works: no newer one replaced it.
        assert (await reset(api, await mailed_token("loner@example.test", "password_reset"))).ok(
            "passwordReset"
        )

    async def test_other_addresses_have_their_own_quota(self, api, world):
        for _ in range(RESET_LIMIT + 1):
            await request_reset(api, "loner@example.test")
        await request_reset(api, "owner@alpha.test")
        assert await mails("owner@alpha.test", "password_reset") == 1

    async def test_the_quota_is_back_when_its_hour_is_over(self, api, world, settings):
        for _ in range(RESET_LIMIT):
            await request_reset(api, "loner@example.test")
        (counter,) = await quota_counters(settings, "loner@example.test")
        ttl = await queue.pool().ttl(counter)
        assert throttle.PASSWORD_RESET_MAIL.window_seconds - 60 < ttl
        assert ttl <= throttle.PASSWORD_RESET_MAIL.window_seconds

        await queue.pool().delete(counter)  # as its expiry would
        await request_reset(api, "loner@example.test")
        assert await mails("loner@example.test", "password_reset") == RESET_LIMIT + 1

    async def test_unknown_and_inactive_addresses_use_no_quota(self, api, world, settings):
        await User.filter(id=world.loner.user.id).update(is_active=False)
        for _ in range(RESET_LIMIT + 1):
            await request_reset(api, "loner@example.test")
            await request_reset(api, "nobody@example.test")
        assert await quota_counters(settings, "*") == []
        await User.filter(id=world.loner.user.id).update(is_active=True)
        await request_reset(api, "loner@example.test")
        assert await mails("loner@example.test", "password_reset") == 1


class TestVerificationResend:
    async def test_over_the_quota_the_answer_is_rate_limited(self, api):
        (await register(api, "alice@example.test")).ok("userRegister")
        alice = await signed_in(api, "alice@example.test", NEW_PASSWORD)
        for _ in range(RESEND_LIMIT):
            assert (await api.as_(alice).execute(RESEND)).ok("emailVerificationResend")["ok"]
        assert await mails("alice@example.test", "verify_email") == 1 + RESEND_LIMIT
        before = await row_counts()

        over = await api.as_(alice).execute(RESEND)
        wait = rate_limited(over, throttle.VERIFICATION_MAIL.window_seconds)
        assert wait > throttle.VERIFICATION_MAIL.window_seconds - 60
        assert await row_counts() == before
        # The last link mailed still verifies.
        token = await mailed_token("alice@example.test", "verify_email")
        assert (await api.execute(VERIFY, {"input": {"token": token}})).ok("emailVerify")

    async def test_each_kind_of_mail_has_its_own_quota(self, api):
        (await register(api, "alice@example.test")).ok("userRegister")
        alice = await signed_in(api, "alice@example.test", NEW_PASSWORD)
        for _ in range(RESET_LIMIT):
            await request_reset(api, "alice@example.test")
        # Anyone may ask for reset links to any address: that must not stop the owner
        # getting the mails they ask for themselves.
        assert (await api.as_(alice).execute(RESEND)).ok("emailVerificationResend")
        (await request_change(api, alice, "alice2@example.test", NEW_PASSWORD)).ok(
            "emailChangeRequest"
        )

    async def test_a_refused_resend_uses_no_quota(self, api, world):
        for _ in range(RESEND_LIMIT + 1):
            payload = (await api.as_(world.loner).execute(RESEND)).payload(
                "emailVerificationResend"
            )
            assert [e["code"] for e in payload["errors"]] == ["INVALID"]  # already verified
        await User.filter(id=world.loner.user.id).update(email_verified_at=None)
        assert (await api.as_(world.loner).execute(RESEND)).ok("emailVerificationResend")


class TestEmailChange:
    async def test_a_few_links_to_one_new_address(self, api, world):
        for _ in range(CHANGE_LIMIT):
            (await request_change(api, world.loner, "new@example.test")).ok("emailChangeRequest")
        before = await row_counts()

        over = await request_change(api, world.loner, "New@Example.test")
        rate_limited(over, throttle.EMAIL_CHANGE_MAIL.window_seconds)
        assert await row_counts() == before
        # The last link is still the one that works.
        (await confirm_change(api, await mailed_token("new@example.test", "email_change"))).ok(
            "emailChangeConfirm"
        )

    async def test_the_quota_of_a_new_address_is_shared_by_every_account(self, api, world):
        askers = [world.loner, world.owner, world.admin, world.viewer]
        for asker in askers[:CHANGE_LIMIT]:
            (await request_change(api, asker, "target@example.test")).ok("emailChangeRequest")
        over = await request_change(api, askers[CHANGE_LIMIT], "target@example.test")
        rate_limited(over, throttle.EMAIL_CHANGE_MAIL.window_seconds)
        assert await mails("target@example.test", "email_change") == CHANGE_LIMIT

    async def test_a_user_gets_a_few_links_whatever_the_addresses(self, api, world):
        for i in range(PER_USER_LIMIT):
            (await request_change(api, world.loner, f"new{i}@example.test")).ok(
                "emailChangeRequest"
            )
        over = await request_change(api, world.loner, "another@example.test")
        rate_limited(over, throttle.EMAIL_CHANGE_BY_USER.window_seconds)
        assert await mails("another@example.test", "email_change") == 0
        # The refused request used up nothing of the new address's quota.
        for asker in [world.owner, world.admin, world.viewer][:CHANGE_LIMIT]:
            (await request_change(api, asker, "another@example.test")).ok("emailChangeRequest")

    async def test_refused_requests_use_no_quota(self, api, world):
        for _ in range(PER_USER_LIMIT + 1):
            own = await request_change(api, world.loner, "loner@example.test")
            assert error_codes(own, "emailChangeRequest") == [("INVALID", ["input", "newEmail"])]
        for i in range(PER_USER_LIMIT):
            (await request_change(api, world.loner, f"new{i}@example.test")).ok(
                "emailChangeRequest"
            )
        assert await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_CHANGE).count() == (
            PER_USER_LIMIT
        )
