"""Password reset: a link mailed to the address sets a new password and signs out everywhere."""

import pytest

from models.audit import AuditEvent
from models.identity import OneTimeToken, Session, TokenPurpose, User
from models.messaging import OutboxMessage
from resolvers.common.time import now
from tests.identity.flows import (
    ME,
    NEW_PASSWORD,
    RESET,
    RESET_REQUEST,
    error_codes,
    last_email,
    mailed_token,
    register,
    request_reset,
    reset,
    row_counts,
    sign_in,
    signed_in,
)
from tests.support.world import PASSWORD


class TestPasswordReset:
    async def test_the_mailed_link_sets_a_new_password_and_signs_every_device_out(self, api, world):
        phone = await signed_in(api, "loner@example.test", PASSWORD, device="phone")
        old_hash = world.loner.user.password_hash
        await request_reset(api, "loner@example.test")
        message = await last_email("loner@example.test", "password_reset")
        assert message.subject == "Reset your password"
        token = await mailed_token("loner@example.test", "password_reset")

        result = await reset(api, token)
        assert result.ok("passwordReset")["user"]["email"] == "loner@example.test"

        user = await User.get(id=world.loner.user.id)
        assert user.password_hash.startswith("$argon2id$")
        assert user.password_hash != old_hash
        record = await OneTimeToken.get(user_id=user.id, purpose=TokenPurpose.PASSWORD_RESET)
        assert record.used_at is not None
        assert await Session.filter(user_id=user.id, revoked_at=None).count() == 0
        for device in (world.loner, phone):
            assert (await api.as_(device).execute(ME)).error_codes == ["UNAUTHENTICATED"]
        (event,) = await AuditEvent.filter(action="user.password_reset")
        assert event.actor_id == user.id
        assert len(event.after["sessions_revoked"]) == 2

        wrong = (await sign_in(api, "loner@example.test", PASSWORD)).payload("tokenCreate")
        assert [e["code"] for e in wrong["errors"]] == ["INVALID_CREDENTIALS"]
        assert (await sign_in(api, "loner@example.test", NEW_PASSWORD)).ok("tokenCreate")
        # Other people's sessions are untouched.
        assert (await api.as_(world.owner).execute(ME)).data["me"]

    async def test_the_request_is_case_insensitive(self, api, world):
        await request_reset(api, " Loner@EXAMPLE.test ")
        assert (await last_email("loner@example.test", "password_reset")).recipient == (
            "loner@example.test"
        )

    @pytest.mark.parametrize("email", ["nobody@example.test", "NOBODY@example.test"])
    async def test_an_unknown_address_gets_the_same_answer_and_nothing_is_written(
        self, api, world, email
    ):
        known = await api.execute(RESET_REQUEST, {"input": {"email": "loner@example.test"}})
        await OutboxMessage.all().delete()
        before = await row_counts()
        unknown = await api.execute(RESET_REQUEST, {"input": {"email": email}})
        assert (
            unknown.body["data"]
            == known.body["data"]
            == {"passwordResetRequest": {"ok": True, "errors": []}}
        )
        assert await row_counts() == before

    async def test_a_deactivated_user_gets_no_link(self, api, world):
        await User.filter(id=world.loner.user.id).update(is_active=False)
        before = await row_counts()
        await request_reset(api, "loner@example.test")
        assert await row_counts() == before

    async def test_a_malformed_address_is_a_field_error(self, api, world):
        before = await row_counts()
        result = await api.execute(RESET_REQUEST, {"input": {"email": "loner"}})
        assert error_codes(result, "passwordResetRequest") == [
            ("INVALID_EMAIL", ["input", "email"])
        ]
        assert await row_counts() == before

    @pytest.mark.parametrize(
        "password, code",
        [
            ("short", "PASSWORD_TOO_WEAK"),
            ("loner@example.test", "PASSWORD_TOO_WEAK"),
            ("x" * 300, "TOO_LONG"),
        ],
    )
    async def test_a_weak_password_is_refused_and_nothing_changes(self, api, world, password, code):
        await request_reset(api, "loner@example.test")
        token = await mailed_token("loner@example.test", "password_reset")
        before = await row_counts()
        result = await reset(api, token, password)
        assert error_codes(result, "passwordReset") == [(code, ["input", "password"])]
        assert await row_counts() == before
        assert (await OneTimeToken.get(purpose=TokenPurpose.PASSWORD_RESET)).used_at is None
        assert (await User.get(id=world.loner.user.id)).password_hash == (
            world.loner.user.password_hash
        )
        assert (await api.as_(world.loner).execute(ME)).data["me"]
        # The link still works once a good password is chosen.
        assert (await reset(api, token)).ok("passwordReset")

    async def test_the_link_works_once(self, api, world):
        await request_reset(api, "loner@example.test")
        token = await mailed_token("loner@example.test", "password_reset")
        assert (await reset(api, token)).ok("passwordReset")
        again = await reset(api, token, "yet another passphrase")
        assert error_codes(again, "passwordReset") == [("TOKEN_USED", ["input", "token"])]
        assert (await sign_in(api, "loner@example.test", NEW_PASSWORD)).ok("tokenCreate")

    async def test_an_expired_link_is_refused(self, api, world):
        await request_reset(api, "loner@example.test")
        token = await mailed_token("loner@example.test", "password_reset")
        await OneTimeToken.all().update(expires_at=now())
        result = await reset(api, token)
        assert error_codes(result, "passwordReset") == [("TOKEN_EXPIRED", ["input", "token"])]
        assert (await OneTimeToken.get()).used_at is None

    async def test_a_newer_link_replaces_the_older_one(self, api, world):
        await request_reset(api, "loner@example.test")
        first = await mailed_token("loner@example.test", "password_reset")
        await request_reset(api, "loner@example.test")
        second = await mailed_token("loner@example.test", "password_reset")
        result = await reset(api, first)
        assert error_codes(result, "passwordReset") == [("TOKEN_REVOKED", ["input", "token"])]
        assert (await reset(api, second)).ok("passwordReset")

    @pytest.mark.parametrize("token", ["", "tampered", "\u00e9t\u00e9", "x" * 10_000])
    async def test_a_tampered_link_is_refused(self, api, world, token):
        await request_reset(api, "loner@example.test")
        real = await mailed_token("loner@example.test", "password_reset")
        result = await reset(api, token or real[:-2])
        assert error_codes(result, "passwordReset") == [("TOKEN_INVALID", ["input", "token"])]

    async def test_a_verification_link_does_not_reset_a_password(self, api):
        await register(api, "alice@example.test")
        token = await mailed_token("alice@example.test", "verify_email")
        result = await reset(api, token)
        assert error_codes(result, "passwordReset") == [("TOKEN_INVALID", ["input", "token"])]

    async def test_resetting_proves_the_address(self, api):
        await register(api, "alice@example.test")
        await request_reset(api, "alice@example.test")
        assert (await reset(api, await mailed_token("alice@example.test", "password_reset"))).ok(
            "passwordReset"
        )["user"]["emailVerified"] is True

    async def test_a_squatter_loses_an_address_its_owner_resets(self, api):
        # Someone registered an address that is not theirs; its owner takes it back.
        await register(api, "alice@example.test", password="squatter's password")
        squatter = await signed_in(api, "alice@example.test", "squatter's password")
        await request_reset(api, "alice@example.test")
        assert (await reset(api, await mailed_token("alice@example.test", "password_reset"))).ok(
            "passwordReset"
        )
        assert (await api.as_(squatter).execute(ME)).error_codes == ["UNAUTHENTICATED"]


@pytest.mark.french_catalog
async def test_link_errors_are_explained_in_french(api, world):
    english = await reset(api, "nonsense")
    french = await api.execute(
        RESET,
        {"input": {"token": "nonsense", "password": NEW_PASSWORD}},
        **{"accept-language": "fr"},
    )
    (en,) = english.payload("passwordReset")["errors"]
    (fr,) = french.payload("passwordReset")["errors"]
    assert fr["code"] == en["code"] == "TOKEN_INVALID"
    assert fr["message"] != en["message"]
