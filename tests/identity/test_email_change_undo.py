"""Undoing a login-email change from the address it left: the owner's way back after someone
with their password moved the account to a mailbox of theirs."""

import asyncio
from datetime import timedelta

import pytest

from models.audit import AuditEvent
from models.identity import OneTimeToken, Session, TokenPurpose, User
from models.messaging import OutboxMessage
from resolvers.common.time import now
from tests.identity.flows import (
    EMAIL_CHANGE_UNDO,
    ME,
    NEW_PASSWORD,
    REFRESH,
    SignedIn,
    confirm_change,
    error_codes,
    last_email,
    mailed_token,
    register,
    request_change,
    request_reset,
    reset,
    row_counts,
    sign_in,
    signed_in,
    token_in,
    undo_change,
)
from tests.support.world import PASSWORD

OWNER = "loner@example.test"
THIEF = "thief@example.test"


async def change(api, who, new_email: str, password: str = PASSWORD) -> str:
    """Moves the account to `new_email`; returns the undo token mailed to the address left."""
    left = (await api.as_(who).execute(ME)).data["me"]["email"]
    (await request_change(api, who, new_email, password)).ok("emailChangeRequest")
    (await confirm_change(api, await mailed_token(new_email, "email_change"))).ok(
        "emailChangeConfirm"
    )
    return await mailed_token(left, "email_changed")


async def refused_sign_in(api, email: str, password: str) -> list[str]:
    return (await sign_in(api, email, password)).payload_codes("tokenCreate")


class TestTakeover:
    async def test_the_owner_gets_the_account_back_and_the_intruder_is_locked_out(
        self, api, api_elsewhere, world
    ):
        loner = world.loner.user
        # Someone who knows the password signs in elsewhere and moves the account...
        thief = await signed_in(api_elsewhere, OWNER, PASSWORD)
        undo_token = await change(api_elsewhere, thief, THIEF)
        # ...then, already at home there, asks to move it on (a link to another mailbox).
        (await request_change(api_elsewhere, thief, "thief.too@example.test")).ok(
            "emailChangeRequest"
        )
        pending_move = await mailed_token("thief.too@example.test", "email_change")
        await request_reset(api, THIEF)
        thief_reset = await mailed_token(THIEF, "password_reset")
        live = await Session.filter(user_id=loner.id, revoked_at=None).values_list("id", flat=True)
        assert len(live) == 2

        result = await undo_change(api, undo_token)
        user = result.ok("emailChangeUndo")["user"]
        assert (user["email"], user["emailVerified"]) == (OWNER, True)

        restored = await User.get(id=loner.id)
        assert restored.email == OWNER and restored.email_verified_at is not None
        # Every device is signed out: the intruder's, and the owner's own.
        assert not await Session.filter(user_id=loner.id, revoked_at=None).exists()
        for device in (thief, world.loner):
            assert (await api.as_(device).execute(ME)).error_codes == ["UNAUTHENTICATED"]
        refreshed = await api.execute(REFRESH, {"input": {"refreshToken": thief.refresh_token}})
        assert error_codes(refreshed, "tokenRefresh") == [
            ("TOKEN_INVALID", ["input", "refreshToken"])
        ]
        # The intruder's links are dead, and they can sign in with nothing they know.
        moved_on = await confirm_change(api_elsewhere, pending_move)
        assert error_codes(moved_on, "emailChangeConfirm") == [
            ("TOKEN_REVOKED", ["input", "token"])
        ]
        assert error_codes(await reset(api_elsewhere, thief_reset), "passwordReset") == [
            ("TOKEN_REVOKED", ["input", "token"])
        ]
        assert await refused_sign_in(api_elsewhere, THIEF, PASSWORD) == ["INVALID_CREDENTIALS"]
        # The password changed the address: it no longer opens the account, the owner's mail
        # does. (Asked from the owner's own client: the intruder's failures count elsewhere.)
        assert await refused_sign_in(api, OWNER, PASSWORD) == ["INVALID_CREDENTIALS"]
        (pending,) = await OneTimeToken.filter(user_id=loner.id, used_at=None, revoked_at=None)
        assert (pending.purpose, pending.email) == (TokenPurpose.PASSWORD_RESET, OWNER)

        mail = await last_email(OWNER, "email_change_undone")
        assert mail.subject == "Your Carnet login email is back: choose a new password"
        assert "/reset-password?token=" in mail.links[0]
        assert (
            await OutboxMessage.filter(recipient=THIEF, template="email_change_undone").count() == 0
        )
        (await reset(api, token_in(mail), NEW_PASSWORD)).ok("passwordReset")
        assert (await sign_in(api, OWNER, NEW_PASSWORD)).ok("tokenCreate")["user"]["email"] == OWNER

        (event,) = await AuditEvent.filter(action="user.email_change_undo")
        assert event.actor_id == loner.id
        assert event.before == {"email": THIEF}
        assert event.after == {
            "email": OWNER,
            "sessions_revoked": sorted(live),
            "links_revoked": 2,  # the intruder's pending move and reset
            "reset_message_id": mail.id,
        }

    async def test_the_link_works_once(self, api, world):
        undo_token = await change(api, world.loner, THIEF)
        (await undo_change(api, undo_token)).ok("emailChangeUndo")
        before = await row_counts()

        again = await undo_change(api, undo_token)
        assert error_codes(again, "emailChangeUndo") == [("TOKEN_USED", ["input", "token"])]
        assert await row_counts() == before

    async def test_it_is_in_the_users_language(self, api, world):
        await User.filter(id=world.loner.user.id).update(locale="fr")
        (await undo_change(api, await change(api, world.loner, THIEF))).ok("emailChangeUndo")
        mail = await last_email(OWNER, "email_change_undone")
        assert mail.subject == (
            "Votre adresse de connexion à Carnet est rétablie : choisissez un nouveau mot de passe"
        )
        assert "ne fonctionne donc plus" in mail.body_text


class TestRefusedLinks:
    async def test_a_tampered_link_writes_nothing(self, api, world):
        undo_token = await change(api, world.loner, THIEF)
        before = await row_counts()
        result = await undo_change(api, undo_token[:-1] + ("A" if undo_token[-1] != "A" else "B"))
        assert error_codes(result, "emailChangeUndo") == [("TOKEN_INVALID", ["input", "token"])]
        assert await row_counts() == before
        assert (await User.get(id=world.loner.user.id)).email == THIEF

    async def test_an_expired_link_writes_nothing(self, api, world):
        undo_token = await change(api, world.loner, THIEF)
        await OneTimeToken.filter(purpose=TokenPurpose.EMAIL_CHANGE_UNDO).update(expires_at=now())
        before = await row_counts()
        result = await undo_change(api, undo_token)
        assert error_codes(result, "emailChangeUndo") == [("TOKEN_EXPIRED", ["input", "token"])]
        assert await row_counts() == before
        assert (await User.get(id=world.loner.user.id)).email == THIEF
        assert (await api.as_(world.loner).execute(ME)).data["me"]["email"] == THIEF

    async def test_the_link_lasts_a_week(self, api, world):
        await change(api, world.loner, THIEF)
        record = await OneTimeToken.get(purpose=TokenPurpose.EMAIL_CHANGE_UNDO)
        assert (record.user_id, record.email) == (world.loner.user.id, OWNER)
        lifetime = record.expires_at - record.created_at
        assert timedelta(days=7) - timedelta(minutes=1) < lifetime <= timedelta(days=7)

    async def test_another_kind_of_link_does_not_undo(self, api, world):
        (await request_change(api, world.loner, THIEF)).ok("emailChangeRequest")
        result = await undo_change(api, await mailed_token(THIEF, "email_change"))
        assert error_codes(result, "emailChangeUndo") == [("TOKEN_INVALID", ["input", "token"])]

    async def test_an_address_taken_meanwhile_is_not_restored(self, api, world):
        undo_token = await change(api, world.loner, THIEF)
        # The address left is free: someone registers it.
        (await register(api, "Loner@Example.test")).ok("userRegister")
        before = await row_counts()

        result = await undo_change(api, undo_token)
        assert result.payload("emailChangeUndo") == {
            "user": None,
            "errors": [
                {
                    "code": "ALREADY_EXISTS",
                    "field": ["input", "token"],
                    "message": "Another account now uses this email address, so it cannot "
                    "be restored.",
                }
            ],
        }
        assert await row_counts() == before
        assert (await User.get(id=world.loner.user.id)).email == THIEF
        assert (await OneTimeToken.get(purpose=TokenPurpose.EMAIL_CHANGE_UNDO)).used_at is None
        assert (await api.as_(world.loner).execute(ME)).data["me"]["email"] == THIEF
        assert (await sign_in(api, THIEF, PASSWORD)).ok("tokenCreate")

    @pytest.mark.french_catalog
    async def test_the_refusal_is_in_the_readers_language(self, api, world):
        undo_token = await change(api, world.loner, THIEF)
        (await register(api, OWNER)).ok("userRegister")
        result = await api.with_headers(**{"accept-language": "fr"}).execute(
            EMAIL_CHANGE_UNDO, {"input": {"token": undo_token}}
        )
        (error,) = result.payload("emailChangeUndo")["errors"]
        assert error["message"] == (
            "Un autre compte utilise maintenant cette adresse courriel : "
            "elle ne peut pas être rétablie."
        )


class TestNoFlipFlop:
    """Changes and undos in a chain: the earliest address's link always wins."""

    async def chain(self, api, world) -> tuple[str, str, SignedIn]:
        thief = await signed_in(api, OWNER, PASSWORD)
        to_owner = await change(api, thief, THIEF)
        to_thief = await change(api, thief, "thief.again@example.test")
        return to_owner, to_thief, thief

    async def test_a_later_change_leaves_the_owners_link_working(self, api, world):
        to_owner, _, _ = await self.chain(api, world)
        (await undo_change(api, to_owner)).ok("emailChangeUndo")
        assert (await User.get(id=world.loner.user.id)).email == OWNER

    async def test_undoing_first_cancels_the_later_changes_links(self, api, world):
        to_owner, to_thief, _ = await self.chain(api, world)
        (await undo_change(api, to_owner)).ok("emailChangeUndo")
        result = await undo_change(api, to_thief)
        assert error_codes(result, "emailChangeUndo") == [("TOKEN_REVOKED", ["input", "token"])]
        assert (await User.get(id=world.loner.user.id)).email == OWNER

    async def test_an_undo_from_the_intruders_mailbox_does_not_cancel_the_owners(self, api, world):
        to_owner, to_thief, _ = await self.chain(api, world)
        (await undo_change(api, to_thief)).ok("emailChangeUndo")
        assert (await User.get(id=world.loner.user.id)).email == THIEF
        # The intruder, at THIEF, resets the password and signs in again...
        (await reset(api, await mailed_token(THIEF, "email_change_undone"))).ok("passwordReset")
        thief = await signed_in(api, THIEF, NEW_PASSWORD)

        # ...and the owner's link still takes it all back.
        (await undo_change(api, to_owner)).ok("emailChangeUndo")
        assert (await User.get(id=world.loner.user.id)).email == OWNER
        assert (await api.as_(thief).execute(ME)).error_codes == ["UNAUTHENTICATED"]
        assert await refused_sign_in(api, THIEF, NEW_PASSWORD) == ["INVALID_CREDENTIALS"]
        assert await refused_sign_in(api, OWNER, NEW_PASSWORD) == ["INVALID_CREDENTIALS"]

    async def test_both_links_at_once_end_at_the_owners_address(self, api, world):
        to_owner, to_thief, _ = await self.chain(api, world)
        results = await asyncio.gather(undo_change(api, to_owner), undo_change(api, to_thief))
        owners, thiefs = (r.payload("emailChangeUndo")["errors"] for r in results)
        assert owners == []
        assert [e["code"] for e in thiefs] in ([], ["TOKEN_REVOKED"])
        assert (await User.get(id=world.loner.user.id)).email == OWNER
        assert not await Session.filter(user_id=world.loner.user.id, revoked_at=None).exists()

    async def test_after_an_undo_the_intruders_session_cannot_ask_again(self, api, world):
        to_owner, _, thief = await self.chain(api, world)
        (await undo_change(api, to_owner)).ok("emailChangeUndo")
        again = await request_change(api, thief, "thief.third@example.test")
        assert again.error_codes == ["UNAUTHENTICATED"]
        assert not await OutboxMessage.filter(recipient="thief.third@example.test").exists()
