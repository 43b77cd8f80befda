"""Signing in and out: access and rotating refresh tokens, one session per device."""

from datetime import timedelta

import pytest

from models.audit import AuditEvent
from models.identity import Session, User
from resolvers.common.time import now
from resolvers.identity.sessions import REFRESH_GRACE
from tests.identity.flows import (
    ME,
    REFRESH,
    SIGN_OUT,
    SignedIn,
    digest,
    row_counts,
    session_of,
    sign_in,
    signed_in,
)
from tests.support.world import PASSWORD


async def refresh(api, refresh_token: str) -> dict:
    result = await api.execute(REFRESH, {"input": {"refreshToken": refresh_token}})
    return result.ok("tokenRefresh")


async def swapped_ago(device: SignedIn, age: timedelta) -> None:
    """Moves the last swap of the device's session into the past."""
    session = await Session.get(previous_refresh_token_hash=digest(device.refresh_token))
    await Session.filter(id=session.id).update(updated_at=now() - age)


async def test_signing_in_returns_tokens_and_records_the_session(api, world, settings):
    result = await sign_in(api, "loner@example.test", PASSWORD, device="Alice's Pixel")
    tokens = result.ok("tokenCreate")
    assert tokens["user"] == {"id": world.loner.gid, "email": "loner@example.test"}
    assert tokens["accessToken"] and tokens["refreshToken"]
    assert tokens["accessToken"] != tokens["refreshToken"]

    session = await Session.get(access_token_hash=digest(tokens["accessToken"]))
    assert session.refresh_token_hash == digest(tokens["refreshToken"])
    assert (session.user_id, session.device, session.ip_address) == (
        world.loner.user.id,
        "Alice's Pixel",
        "127.0.0.1",
    )
    assert session.revoked_at is None
    ttl = session.access_expires_at - session.created_at
    assert abs(ttl - timedelta(seconds=settings.access_token_ttl_seconds)) < timedelta(seconds=5)
    ttl = session.refresh_expires_at - session.created_at
    assert abs(ttl - timedelta(seconds=settings.refresh_token_ttl_seconds)) < timedelta(seconds=5)

    (event,) = await AuditEvent.filter(action="user.sign_in", target_id=str(session.id))
    assert (event.actor_id, event.target_type, event.target_id) == (
        world.loner.user.id,
        "Session",
        str(session.id),
    )
    assert (event.organization_id, event.ip_address) == (None, "127.0.0.1")

    me = await api.as_(SignedIn(tokens["accessToken"])).execute(ME)
    assert me.data["me"]["email"] == "loner@example.test"


async def test_the_address_is_case_insensitive_at_sign_in(api, world):
    tokens = (await sign_in(api, "  LONER@Example.TEST ", PASSWORD)).ok("tokenCreate")
    assert tokens["user"]["email"] == "loner@example.test"


async def test_the_device_defaults_to_the_user_agent_and_is_kept_printable(api, world):
    from_app = api.with_headers(**{"user-agent": "CarnetApp/2.1 (iOS)"})
    assert await signed_in(from_app, "loner@example.test", PASSWORD)
    assert await signed_in(api, "loner@example.test", PASSWORD, device="Work\x00 laptop\n")
    assert await signed_in(api, "loner@example.test", PASSWORD, device="x" * 1000)
    devices = (
        await Session.filter(user_id=world.loner.user.id)
        .order_by("id")
        .values_list("device", flat=True)
    )
    assert devices[1:] == ["CarnetApp/2.1 (iOS)", "Work laptop", "x" * 255]


@pytest.mark.parametrize(
    "email, password",
    [
        ("loner@example.test", "not the password"),
        ("loner@example.test", ""),
        ("loner@example.test", PASSWORD.upper()),
        ("nobody@example.test", PASSWORD),
    ],
)
async def test_wrong_credentials_say_nothing_about_who_has_an_account(api, world, email, password):
    before = await row_counts()
    payload = (await sign_in(api, email, password)).payload("tokenCreate")
    assert payload["accessToken"] is None and payload["refreshToken"] is None
    assert payload["errors"] == [
        {
            "code": "INVALID_CREDENTIALS",
            "field": ["input", "password"],
            "message": "Wrong email or password.",
        }
    ]
    assert await row_counts() == before


async def test_a_deactivated_user_cannot_sign_in(api, world):
    await User.filter(id=world.loner.user.id).update(is_active=False)
    payload = (await sign_in(api, "loner@example.test", PASSWORD)).payload("tokenCreate")
    assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
    # ...and the sessions it already had stop working.
    assert (await api.as_(world.loner).execute(ME)).error_codes == ["UNAUTHENTICATED"]
    refreshed = await api.execute(REFRESH, {"input": {"refreshToken": world.loner.refresh_token}})
    assert [e["code"] for e in refreshed.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]


async def test_an_invalid_address_at_sign_in_is_a_field_error(api, world):
    payload = (await sign_in(api, "loner", PASSWORD)).payload("tokenCreate")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_EMAIL", ["input", "email"])
    ]


class TestRefresh:
    async def test_refreshing_swaps_both_tokens(self, api, world):
        device = await signed_in(api, "loner@example.test", PASSWORD)
        refreshed = (
            await api.execute(REFRESH, {"input": {"refreshToken": device.refresh_token}})
        ).ok("tokenRefresh")
        assert refreshed["user"] == {"email": "loner@example.test"}
        assert refreshed["accessToken"] not in (device.token, device.refresh_token)
        assert refreshed["refreshToken"] not in (device.token, device.refresh_token)

        session = await Session.get(refresh_token_hash=digest(refreshed["refreshToken"]))
        assert session.access_token_hash == digest(refreshed["accessToken"])
        assert session.previous_refresh_token_hash == digest(device.refresh_token)
        assert await Session.filter(user_id=world.loner.user.id).count() == 2  # one per device

        assert (await api.as_(device).execute(ME)).error_codes == ["UNAUTHENTICATED"]
        me = await api.as_(SignedIn(refreshed["accessToken"])).execute(ME)
        assert me.data["me"]["email"] == "loner@example.test"

    async def test_reusing_a_swapped_refresh_token_ends_the_session(self, api, world):
        device = await signed_in(api, "loner@example.test", PASSWORD)
        # Someone copied the refresh token and swapped it first...
        thief = (await api.execute(REFRESH, {"input": {"refreshToken": device.refresh_token}})).ok(
            "tokenRefresh"
        )
        await swapped_ago(device, REFRESH_GRACE + timedelta(seconds=1))
        # ...so when the device presents it, the whole session ends, for both of them.
        reused = await api.execute(REFRESH, {"input": {"refreshToken": device.refresh_token}})
        assert reused.payload("tokenRefresh")["errors"] == [
            {
                "code": "TOKEN_REVOKED",
                "field": ["input", "refreshToken"],
                "message": "This session has ended. Sign in again.",
            }
        ]
        session = await Session.get(previous_refresh_token_hash=digest(device.refresh_token))
        assert session.revoked_at is not None
        (event,) = await AuditEvent.filter(action="session.reuse_detected")
        assert (event.actor_id, event.target_id) == (world.loner.user.id, str(session.id))

        assert (await api.as_(SignedIn(thief["accessToken"])).execute(ME)).error_codes == [
            "UNAUTHENTICATED"
        ]
        again = await api.execute(REFRESH, {"input": {"refreshToken": thief["refreshToken"]}})
        assert [e["code"] for e in again.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]
        # Other devices are not affected.
        assert (await api.as_(world.loner).execute(ME)).data["me"]

    async def test_a_second_tab_refreshing_right_after_the_first_gets_tokens_too(self, api, world):
        device = await signed_in(api, "loner@example.test", PASSWORD)
        first_tab = await refresh(api, device.refresh_token)
        # The second tab sent the same refresh token: still the previous one, so it swaps
        # again rather than ending the session.
        second_tab = await refresh(api, device.refresh_token)
        tokens = {first_tab["refreshToken"], second_tab["refreshToken"], device.refresh_token}
        assert len(tokens) == 3

        session = await session_of(SignedIn(second_tab["accessToken"]))
        assert session.revoked_at is None
        assert session.refresh_token_hash == digest(second_tab["refreshToken"])
        # The token the second swap replaced is the previous one now, not the oldest.
        assert session.previous_refresh_token_hash == digest(first_tab["refreshToken"])
        assert await AuditEvent.filter(action="session.reuse_detected").count() == 0
        # One access token per session: the latest.
        me = await api.as_(SignedIn(second_tab["accessToken"])).execute(ME)
        assert me.data["me"]["email"] == "loner@example.test"
        assert (await api.as_(SignedIn(first_tab["accessToken"])).execute(ME)).error_codes == [
            "UNAUTHENTICATED"
        ]
        # Whichever refresh token the browser kept works within the grace...
        assert await refresh(api, first_tab["refreshToken"])
        # ...and the oldest is merely unknown now: no error ends the session for it.
        oldest = await api.execute(REFRESH, {"input": {"refreshToken": device.refresh_token}})
        assert [e["code"] for e in oldest.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]
        assert await Session.filter(id=session.id, revoked_at=None).exists()

    async def test_the_previous_token_swaps_until_the_grace_ends(self, api, world):
        device = await signed_in(api, "loner@example.test", PASSWORD)
        await refresh(api, device.refresh_token)
        await swapped_ago(device, REFRESH_GRACE - timedelta(seconds=2))
        assert (await refresh(api, device.refresh_token))["accessToken"]
        assert await Session.filter(user_id=world.loner.user.id, revoked_at=None).count() == 2

    async def test_after_the_grace_the_second_tab_ends_the_session(self, api, world):
        device = await signed_in(api, "loner@example.test", PASSWORD)
        first_tab = await refresh(api, device.refresh_token)
        await swapped_ago(device, REFRESH_GRACE + timedelta(seconds=1))
        late = await api.execute(REFRESH, {"input": {"refreshToken": device.refresh_token}})
        assert [e["code"] for e in late.payload("tokenRefresh")["errors"]] == ["TOKEN_REVOKED"]
        assert await AuditEvent.filter(action="session.reuse_detected").count() == 1
        after = await api.execute(REFRESH, {"input": {"refreshToken": first_tab["refreshToken"]}})
        assert [e["code"] for e in after.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]

    @pytest.mark.parametrize("refresh_token", ["", "garbage", "x" * 5000])
    async def test_an_unknown_refresh_token_is_invalid(self, api, world, refresh_token):
        before = await row_counts()
        result = await api.execute(REFRESH, {"input": {"refreshToken": refresh_token}})
        payload = result.payload("tokenRefresh")
        assert payload["accessToken"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("TOKEN_INVALID", ["input", "refreshToken"])
        ]
        assert await row_counts() == before

    async def test_an_expired_refresh_token_is_invalid(self, api, world):
        await Session.filter(user_id=world.loner.user.id).update(refresh_expires_at=now())
        result = await api.execute(REFRESH, {"input": {"refreshToken": world.loner.refresh_token}})
        assert [e["code"] for e in result.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]

    async def test_the_refresh_token_of_a_revoked_session_is_invalid(self, api, world):
        await api.execute(SIGN_OUT, {"input": {"refreshToken": world.loner.refresh_token}})
        result = await api.execute(REFRESH, {"input": {"refreshToken": world.loner.refresh_token}})
        assert [e["code"] for e in result.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]


class TestSignOut:
    async def test_signing_out_ends_this_session_only(self, api, world):
        session = await session_of(world.loner)
        other = await signed_in(api, "loner@example.test", PASSWORD)
        result = await api.execute(SIGN_OUT, {"input": {"refreshToken": world.loner.refresh_token}})
        assert result.ok("tokenRevoke")["ok"] is True

        await session.refresh_from_db()
        assert session.revoked_at is not None
        (event,) = await AuditEvent.filter(action="session.revoke")
        assert (event.actor_id, event.target_id) == (world.loner.user.id, str(session.id))
        assert (await api.as_(world.loner).execute(ME)).error_codes == ["UNAUTHENTICATED"]
        assert (await api.as_(other).execute(ME)).data["me"]

    @pytest.mark.parametrize("state", ["unknown", "already revoked", "expired"])
    async def test_signing_out_twice_or_with_a_dead_token_is_fine(self, api, world, state):
        token = world.loner.refresh_token
        if state == "unknown":
            token = "not-a-token"
        elif state == "already revoked":
            await api.execute(SIGN_OUT, {"input": {"refreshToken": token}})
        else:
            await Session.filter(user_id=world.loner.user.id).update(refresh_expires_at=now())
        before = await row_counts()
        result = await api.execute(SIGN_OUT, {"input": {"refreshToken": token}})
        assert result.ok("tokenRevoke")["ok"] is True
        assert await row_counts() == before


class TestAccessTokens:
    async def test_a_revoked_access_token_is_unauthenticated(self, api, world):
        await Session.filter(user_id=world.owner.user.id).update(revoked_at=now())
        result = await api.as_(world.owner).execute(ME)
        assert result.error_codes == ["UNAUTHENTICATED"]
        assert result.data is None
        assert result.errors[0]["message"] == "You must be signed in."

    async def test_an_expired_access_token_is_unauthenticated(self, api, world):
        await Session.filter(user_id=world.owner.user.id).update(access_expires_at=now())
        assert (await api.as_(world.owner).execute(ME)).error_codes == ["UNAUTHENTICATED"]

    @pytest.mark.parametrize(
        "authorization",
        [
            "Bearer nonsense",
            "Bearer ",
            "Basic b3duZXI6cGFzcw==",
            "Bearer \u00e9t\u00e9".encode(),
        ],
    )
    async def test_a_bad_authorization_header_is_unauthenticated(self, api, world, authorization):
        result = await api.execute(ME, authorization=authorization)
        assert result.status == 200
        assert result.error_codes == ["UNAUTHENTICATED"]

    async def test_use_is_recorded_at_most_once_a_minute(self, api, world):
        session = await session_of(world.owner)
        earlier = now() - timedelta(hours=1)
        await Session.filter(id=session.id).update(last_used_at=earlier)
        await api.as_(world.owner).execute(ME)
        await session.refresh_from_db()
        assert session.last_used_at > earlier + timedelta(minutes=59)
        used = session.last_used_at
        await api.as_(world.owner).execute(ME)
        await session.refresh_from_db()
        assert session.last_used_at == used
