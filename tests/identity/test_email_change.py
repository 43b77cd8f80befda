"""Login-email change (only by the user, proven by a link to the new address) and profile."""

import pytest

from models.audit import AuditEvent
from models.identity import OneTimeToken, TokenPurpose, User
from models.messaging import OutboxMessage
from models.tasks import Task
from resolvers.common.time import now
from tests.identity.flows import (
    EMAIL_CHANGE_REQUEST,
    ME,
    NEW_PASSWORD,
    USER_UPDATE,
    VERIFY,
    confirm_change,
    error_codes,
    last_email,
    mailed_token,
    rate_limited,
    register,
    request_change,
    request_reset,
    reset,
    row_counts,
    sign_in,
    signed_in,
    token_in,
)
from tests.support.mail import send_queued_mail
from tests.support.world import PASSWORD


class TestEmailChange:
    async def test_the_login_email_changes_only_when_the_new_address_confirms(self, api, world):
        result = await request_change(api, world.loner, " Loner.New@Example.TEST ")
        assert result.ok("emailChangeRequest")["ok"] is True

        # The link goes to the new address, and only there.
        message = await last_email("loner.new@example.test", "email_change")
        assert message.subject == "Confirm your new email address"
        assert "loner.new@example.test" in message.body_text
        assert await OutboxMessage.filter(recipient="loner@example.test").count() == 0
        token = await mailed_token("loner.new@example.test", "email_change")
        record = await OneTimeToken.get(purpose=TokenPurpose.EMAIL_CHANGE)
        assert (record.user_id, record.email) == (world.loner.user.id, "loner.new@example.test")

        # Nothing changes until the link is opened.
        me = await api.as_(world.loner).execute(ME)
        assert me.data["me"]["email"] == "loner@example.test"
        assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")
        refused = (await sign_in(api, "loner.new@example.test", PASSWORD)).payload("tokenCreate")
        assert [e["code"] for e in refused["errors"]] == ["INVALID_CREDENTIALS"]

        confirmed = (await confirm_change(api, token)).ok("emailChangeConfirm")
        assert confirmed["user"]["email"] == "loner.new@example.test"
        assert confirmed["user"]["emailVerified"] is True
        user = await User.get(id=world.loner.user.id)
        assert user.email == "loner.new@example.test"
        assert user.email_verified_at is not None
        assert (await OneTimeToken.get(id=record.id)).used_at is not None
        # The old address is told, with a way back (see test_email_change_undo.py).
        notice = await last_email("loner@example.test", "email_changed")
        assert notice.subject == "Your Carnet login email was changed"
        assert "loner.new@example.test" in notice.body_text
        assert "loner.new@example.test" in notice.body_html
        assert "This wasn't me" in notice.body_text
        (link,) = notice.links
        assert "/undo-email-change?token=" in link and token_in(notice)
        assert await OutboxMessage.filter(recipient="loner@example.test").count() == 1
        (event,) = await AuditEvent.filter(action="user.email_change")
        assert (event.before, event.after) == (
            {"email": "loner@example.test"},
            {"email": "loner.new@example.test", "notice_message_id": notice.id},
        )

        old = (await sign_in(api, "loner@example.test", PASSWORD)).payload("tokenCreate")
        assert [e["code"] for e in old["errors"]] == ["INVALID_CREDENTIALS"]
        assert (await sign_in(api, "loner.new@example.test", PASSWORD)).ok("tokenCreate")
        # Sessions already open carry on, under the new address.
        assert (await api.as_(world.loner).execute(ME)).data["me"]["email"] == (
            "loner.new@example.test"
        )

    async def test_the_email_is_in_the_users_language(self, api, world):
        await User.filter(id=world.loner.user.id).update(locale="fr")
        (await request_change(api, world.loner, "nouveau@example.test")).ok("emailChangeRequest")
        message = await last_email("nouveau@example.test", "email_change")
        assert message.subject == "Confirmez votre nouvelle adresse courriel"

    @pytest.mark.parametrize("taken", ["admin@alpha.test", "Admin@Alpha.TEST"])
    async def test_an_address_another_account_uses_gets_no_link(self, api, world, taken):
        """The answer is that of a free address (see test_registration_disclosure): the
        address's owner is told instead, and no link exists to move the account there."""
        result = await request_change(api, world.loner, taken)
        assert result.payload("emailChangeRequest") == {"ok": True, "errors": []}
        assert not await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_CHANGE).exists()
        assert not await OutboxMessage.filter(template="email_change").exists()
        assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"

    @pytest.mark.parametrize(
        "new_email, code",
        [
            ("loner@example.test", "INVALID"),
            ("LONER@example.test", "INVALID"),
            ("not an email", "INVALID_EMAIL"),
            ("", "INVALID_EMAIL"),
        ],
    )
    async def test_a_bad_new_address_is_refused(self, api, world, new_email, code):
        before = await row_counts()
        result = await request_change(api, world.loner, new_email)
        assert error_codes(result, "emailChangeRequest") == [(code, ["input", "newEmail"])]
        assert await row_counts() == before

    async def test_needs_a_signed_in_user(self, api, world):
        result = await request_change(api, None, "someone@example.test")
        assert result.error_codes == ["UNAUTHENTICATED"]
        assert await OutboxMessage.all().count() == 0

    async def test_an_address_taken_before_confirmation_is_refused_then(self, api, world):
        (await request_change(api, world.loner, "wanted@example.test")).ok("emailChangeRequest")
        token = await mailed_token("wanted@example.test", "email_change")
        (await register(api, "Wanted@example.test")).ok("userRegister")

        result = await confirm_change(api, token)
        assert error_codes(result, "emailChangeConfirm") == [("ALREADY_EXISTS", ["input", "token"])]
        assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"
        assert (await OneTimeToken.get(purpose=TokenPurpose.EMAIL_CHANGE)).used_at is None
        assert not await OutboxMessage.filter(template="email_changed").exists()

    async def test_the_link_works_once_and_only_the_latest_one(self, api, world):
        (await request_change(api, world.loner, "first@example.test")).ok("emailChangeRequest")
        first = await mailed_token("first@example.test", "email_change")
        (await request_change(api, world.loner, "second@example.test")).ok("emailChangeRequest")
        second = await mailed_token("second@example.test", "email_change")

        stale = await confirm_change(api, first)
        assert error_codes(stale, "emailChangeConfirm") == [("TOKEN_REVOKED", ["input", "token"])]
        assert (await confirm_change(api, second)).ok("emailChangeConfirm")
        again = await confirm_change(api, second)
        assert error_codes(again, "emailChangeConfirm") == [("TOKEN_USED", ["input", "token"])]
        assert (await User.get(id=world.loner.user.id)).email == "second@example.test"

    async def test_an_expired_or_tampered_link_is_refused(self, api, world):
        (await request_change(api, world.loner, "new@example.test")).ok("emailChangeRequest")
        token = await mailed_token("new@example.test", "email_change")
        tampered = await confirm_change(api, token + "x")
        assert error_codes(tampered, "emailChangeConfirm") == [
            ("TOKEN_INVALID", ["input", "token"])
        ]
        await OneTimeToken.all().update(expires_at=now())
        expired = await confirm_change(api, token)
        assert error_codes(expired, "emailChangeConfirm") == [("TOKEN_EXPIRED", ["input", "token"])]
        assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"

    async def test_a_password_reset_cancels_a_pending_change(self, api, world):
        # Whoever stole the password asked to move the account to an address of theirs...
        (await request_change(api, world.loner, "thief@example.test")).ok("emailChangeRequest")
        stolen = await mailed_token("thief@example.test", "email_change")
        # ...the owner resets the password: the thief's link dies with it.
        await request_reset(api, "loner@example.test")
        (await reset(api, await mailed_token("loner@example.test", "password_reset"))).ok(
            "passwordReset"
        )
        result = await confirm_change(api, stolen)
        assert error_codes(result, "emailChangeConfirm") == [("TOKEN_REVOKED", ["input", "token"])]
        assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"

    async def test_links_mailed_to_the_old_address_stop_working(self, api, world):
        await request_reset(api, "loner@example.test")
        reset_token = await mailed_token("loner@example.test", "password_reset")
        (await request_change(api, world.loner, "new@example.test")).ok("emailChangeRequest")
        (await confirm_change(api, await mailed_token("new@example.test", "email_change"))).ok(
            "emailChangeConfirm"
        )

        result = await reset(api, reset_token)
        assert error_codes(result, "passwordReset") == [("TOKEN_INVALID", ["input", "token"])]
        assert (await sign_in(api, "new@example.test", PASSWORD)).ok("tokenCreate")

    async def test_a_verification_link_for_the_old_address_no_longer_verifies(self, api):
        await register(api, "alice@example.test")
        verify_token = await mailed_token("alice@example.test", "verify_email")
        alice = await signed_in(api, "alice@example.test", NEW_PASSWORD)
        (await request_change(api, alice, "alice2@example.test", NEW_PASSWORD)).ok(
            "emailChangeRequest"
        )
        (await confirm_change(api, await mailed_token("alice2@example.test", "email_change"))).ok(
            "emailChangeConfirm"
        )
        # (Confirming the change verified the new address already.)
        result = await api.execute(VERIFY, {"input": {"token": verify_token}})
        assert error_codes(result, "emailVerify") == [("TOKEN_INVALID", ["input", "token"])]

    async def test_there_is_no_other_way_to_change_the_login_email(self, api, world):
        result = await api.as_(world.loner).execute(
            USER_UPDATE, {"input": {"email": "other@example.test"}}
        )
        assert result.status == 400  # userUpdate has no email field
        assert (await User.get(id=world.loner.user.id)).email == "loner@example.test"


class TestCurrentPassword:
    @pytest.mark.parametrize("password", ["not the password", "", PASSWORD.upper()])
    async def test_a_wrong_password_is_refused_and_nothing_is_written(self, api, world, password):
        before = await row_counts()
        result = await request_change(api, world.loner, "new@example.test", password)
        assert result.payload("emailChangeRequest") == {
            "ok": False,
            "errors": [
                {
                    "code": "INVALID_CREDENTIALS",
                    "field": ["input", "currentPassword"],
                    "message": "Wrong password.",
                }
            ],
        }
        assert await row_counts() == before

    async def test_without_the_password_no_one_learns_which_addresses_are_taken(self, api, world):
        result = await request_change(api, world.loner, "admin@alpha.test", "a guess")
        assert error_codes(result, "emailChangeRequest") == [
            ("INVALID_CREDENTIALS", ["input", "currentPassword"])
        ]

    async def test_a_malformed_address_is_refused_first_and_costs_no_attempt(
        self, api, world, settings
    ):
        for _ in range(settings.login_max_failures + 1):
            result = await request_change(api, world.loner, "not an email", "a guess")
            assert error_codes(result, "emailChangeRequest") == [
                ("INVALID_EMAIL", ["input", "newEmail"])
            ]
        assert (await request_change(api, world.loner, "new@example.test")).ok("emailChangeRequest")

    async def test_guesses_here_count_with_sign_in_failures(self, api, world, settings):
        for _ in range(settings.login_max_failures):
            result = await request_change(api, world.loner, "new@example.test", "a guess")
            assert result.payload_codes("emailChangeRequest") == ["INVALID_CREDENTIALS"]
        before = await row_counts()
        window = settings.login_failure_window_seconds

        # Even the right password is refused now, here and at sign-in.
        locked = await request_change(api, world.loner, "new@example.test")
        rate_limited(locked, window)
        assert await row_counts() == before
        rate_limited(await sign_in(api, "loner@example.test", PASSWORD), window)
        # Other accounts are not affected.
        assert (await request_change(api, world.owner, "new@example.test")).ok("emailChangeRequest")

    async def test_sign_in_failures_lock_this_door_too(self, api, world, settings):
        for _ in range(settings.login_max_failures):
            payload = (await sign_in(api, "loner@example.test", "a guess")).payload("tokenCreate")
            assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
        locked = await request_change(api, world.loner, "new@example.test")
        rate_limited(locked, settings.login_failure_window_seconds)
        assert not await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_CHANGE).exists()

    async def test_the_right_password_clears_earlier_failures(self, api, world, settings):
        for _ in range(settings.login_max_failures - 1):
            await request_change(api, world.loner, "new@example.test", "a guess")
        assert (await request_change(api, world.loner, "new@example.test")).ok("emailChangeRequest")
        for _ in range(settings.login_max_failures - 1):
            await sign_in(api, "loner@example.test", "a guess")
        assert (await sign_in(api, "loner@example.test", PASSWORD)).ok("tokenCreate")


class TestOldAddressNotice:
    async def change(self, api, world, new_email: str) -> None:
        (await request_change(api, world.loner, new_email)).ok("emailChangeRequest")
        token = await mailed_token(new_email, "email_change")
        (await confirm_change(api, token)).ok("emailChangeConfirm")

    async def test_it_is_in_the_users_language(self, api, world):
        await User.filter(id=world.loner.user.id).update(locale="fr")
        await self.change(api, world, "nouveau@example.test")
        notice = await last_email("loner@example.test", "email_changed")
        assert notice.subject == "Votre adresse de connexion à Carnet a changé"
        assert "nouveau@example.test" in notice.body_text
        assert "Ce n’était pas moi" in notice.body_text
        assert "Ce n’était pas moi — annuler le changement</a>" in notice.body_html

    async def test_the_html_is_escaped_and_the_text_is_not(self, api, world):
        await User.filter(id=world.loner.user.id).update(first_name="<b>Lou</b> & co")
        await self.change(api, world, "new@example.test")
        notice = await last_email("loner@example.test", "email_changed")
        assert "Hello &lt;b&gt;Lou&lt;/b&gt; &amp; co," in notice.body_html
        assert "<b>" not in notice.body_html
        assert "Hello <b>Lou</b> & co," in notice.body_text

    async def test_each_change_tells_the_address_it_left(self, api, world):
        await self.change(api, world, "second@example.test")
        await self.change(api, world, "third@example.test")
        await send_queued_mail()
        notices = await OutboxMessage.filter(template="email_changed").order_by("id")
        assert [(n.recipient, "third@example.test" in n.body_text) for n in notices] == [
            ("loner@example.test", False),
            ("second@example.test", True),
        ]
        # Sent like every other email: by the worker, from a task recorded with the change.
        sends = await Task.filter(function="send_email").values_list("args", flat=True)
        assert all([n.id] in sends for n in notices)


class TestProfile:
    async def test_a_user_edits_their_own_name_and_language(self, api, world):
        result = await api.as_(world.loner).execute(
            USER_UPDATE, {"input": {"firstName": " Lou ", "locale": "FR"}}
        )
        user = result.ok("userUpdate")["user"]
        assert (user["firstName"], user["lastName"], user["locale"]) == ("Lou", "Test", "FR")
        (event,) = await AuditEvent.filter(action="user.update")
        assert event.after == {"first_name": "Lou", "locale": "fr"}

    async def test_a_blank_first_name_is_refused(self, api, world):
        before = await row_counts()
        result = await api.as_(world.loner).execute(USER_UPDATE, {"input": {"firstName": " "}})
        assert error_codes(result, "userUpdate") == [("REQUIRED", ["input", "firstName"])]
        assert await row_counts() == before


@pytest.mark.french_catalog
async def test_a_signed_in_users_language_is_used_for_messages(api, world):
    english = await request_change(api, world.loner, "loner@example.test")
    await User.filter(id=world.loner.user.id).update(locale="fr")
    french = await request_change(api, world.loner, "loner@example.test")
    (en,) = english.payload("emailChangeRequest")["errors"]
    (fr,) = french.payload("emailChangeRequest")["errors"]
    assert (fr["code"], fr["field"]) == (en["code"], en["field"])
    assert fr["message"] != en["message"]
    # An explicit Accept-Language wins over the profile.
    explicit = await api.as_(world.loner).execute(
        EMAIL_CHANGE_REQUEST,
        {"input": {"newEmail": "loner@example.test", "currentPassword": PASSWORD}},
        **{"accept-language": "en"},
    )
    assert explicit.payload("emailChangeRequest")["errors"][0]["message"] == en["message"]
