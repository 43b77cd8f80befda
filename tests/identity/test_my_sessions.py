"""`mySessions` and `sessionRevoke`: a user sees and signs out their own devices only."""

import pytest

from models.audit import AuditEvent
from models.identity import Session
from resolvers.common.time import now
from schema import ids
from tests.identity.flows import (
    ME,
    MY_SESSIONS,
    REFRESH,
    SESSION_REVOKE,
    SIGN_OUT,
    SignedIn,
    digest,
    row_counts,
    session_of,
    signed_in,
)
from tests.support.world import PASSWORD


class TestMySessions:
    async def _devices(self, api, world) -> SignedIn:
        """The owner signed in on three more devices; others' and dead sessions around."""
        for name in ("laptop", "phone", "tablet"):
            last = await signed_in(api, "owner@alpha.test", PASSWORD, device=name)
        dead = await signed_in(api, "owner@alpha.test", PASSWORD, device="revoked")
        await api.execute(SIGN_OUT, {"input": {"refreshToken": dead.refresh_token}})
        stale = await signed_in(api, "owner@alpha.test", PASSWORD, device="stale")
        await Session.filter(access_token_hash=digest(stale.token)).update(refresh_expires_at=now())
        await signed_in(api, "admin@alpha.test", PASSWORD, device="someone else's")
        return last

    async def test_lists_my_live_sessions_newest_first(self, api, world):
        tablet = await self._devices(api, world)
        result = await api.as_(tablet).execute(MY_SESSIONS)
        connection = result.data["mySessions"]
        nodes = [edge["node"] for edge in connection["edges"]]
        assert [n["device"] for n in nodes] == ["tablet", "phone", "laptop", "pytest"]
        assert [n["current"] for n in nodes] == [True, False, False, False]
        assert nodes[0]["ipAddress"] == "127.0.0.1"
        assert all(n["createdAt"] and n["lastUsedAt"] for n in nodes)
        assert connection["totalCount"] == 4
        assert ids.decode(nodes[0]["id"]) == ("Session", (await session_of(tablet)).id)

    async def test_pages_forward_and_backward(self, api, world):
        tablet = await self._devices(api, world)
        client = api.as_(tablet)
        first = (await client.execute(MY_SESSIONS, {"first": 3})).data["mySessions"]
        assert [e["node"]["device"] for e in first["edges"]] == ["tablet", "phone", "laptop"]
        assert first["pageInfo"]["hasNextPage"] is True
        assert first["pageInfo"]["hasPreviousPage"] is False
        assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]

        after = first["pageInfo"]["endCursor"]
        second = (await client.execute(MY_SESSIONS, {"first": 3, "after": after})).data[
            "mySessions"
        ]
        assert [e["node"]["device"] for e in second["edges"]] == ["pytest"]
        assert second["pageInfo"]["hasNextPage"] is False
        assert second["pageInfo"]["hasPreviousPage"] is True
        assert second["totalCount"] == 4

        before = second["pageInfo"]["startCursor"]
        back = (await client.execute(MY_SESSIONS, {"last": 2, "before": before})).data["mySessions"]
        assert [e["node"]["device"] for e in back["edges"]] == ["phone", "laptop"]
        assert back["pageInfo"]["hasPreviousPage"] is True

    @pytest.mark.parametrize(
        "arguments",
        [
            {"first": 0},
            {"first": 101},
            {"first": -1},
            {"last": 0},
            {"last": 101},
            {"first": 1, "last": 1},
        ],
    )
    async def test_a_page_size_out_of_range_is_bad_input(self, api, world, arguments):
        result = await api.as_(world.owner).execute(MY_SESSIONS, arguments)
        assert result.error_codes == ["BAD_USER_INPUT"]
        assert result.data is None

    async def test_the_largest_page_is_allowed(self, api, world):
        result = await api.as_(world.owner).execute(MY_SESSIONS, {"first": 100})
        assert len(result.data["mySessions"]["edges"]) == 1

    @pytest.mark.parametrize(
        "cursor",
        [
            "!!!",
            "bm90IGpzb24=",
            "eyJhIjoxfQ==",
            "WzEsMl0=",
            "W3siZHQiOiJ4In1d",
            "W10=",
            "",
            "\u00e9t\u00e9",
            "x" * 10_000,
        ],
    )
    async def test_a_malformed_cursor_is_bad_input(self, api, world, cursor):
        for arguments in ({"first": 2, "after": cursor}, {"last": 2, "before": cursor}):
            result = await api.as_(world.owner).execute(MY_SESSIONS, arguments)
            if cursor == "":  # no cursor: the first page
                assert not result.errors
                continue
            assert result.error_codes == ["BAD_USER_INPUT"], (arguments, result.errors)
            assert result.errors[0]["message"] == "Malformed cursor."

    @pytest.mark.parametrize(
        "cursor",
        [
            "WyJhYmMiXQ==",  # ["abc"]
            "WzEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwXQ==",  # [10**30]
            "W1sxXV0=",  # [[1]]
        ],
    )
    # resolvers.common.pagination._decode checks a cursor's shape, not its values' types:
    # these reach the query and fail there (a 500). Reported to the lead; remove the mark
    # once _decode checks each value against its sort field.
    async def test_a_cursor_of_the_wrong_type_is_bad_input(self, api, world, cursor):
        result = await api.as_(world.owner).execute(MY_SESSIONS, {"first": 2, "after": cursor})
        assert result.error_codes == ["BAD_USER_INPUT"], result.errors

    async def test_needs_a_signed_in_user(self, api, world):
        assert (await api.execute(MY_SESSIONS)).error_codes == ["UNAUTHENTICATED"]


class TestSessionRevoke:
    async def test_signs_one_of_my_devices_out(self, api, world):
        phone = await signed_in(api, "owner@alpha.test", PASSWORD, device="phone")
        phone_session = await session_of(phone)
        gid = ids.encode("Session", phone_session.id)

        result = await api.as_(world.owner).execute(SESSION_REVOKE, {"input": {"id": gid}})
        assert result.ok("sessionRevoke")["session"] == {"id": gid, "device": "phone"}
        await phone_session.refresh_from_db()
        assert phone_session.revoked_at is not None
        (event,) = await AuditEvent.filter(action="session.revoke")
        assert (event.actor_id, event.target_type, event.target_id, event.before) == (
            world.owner.user.id,
            "Session",
            str(phone_session.id),
            {"device": "phone"},
        )

        assert (await api.as_(phone).execute(ME)).error_codes == ["UNAUTHENTICATED"]
        refreshed = await api.execute(REFRESH, {"input": {"refreshToken": phone.refresh_token}})
        assert [e["code"] for e in refreshed.payload("tokenRefresh")["errors"]] == ["TOKEN_INVALID"]
        assert (await api.as_(world.owner).execute(ME)).data["me"]

    async def test_can_sign_this_very_device_out(self, api, world):
        gid = ids.encode("Session", (await session_of(world.owner)).id)
        result = await api.as_(world.owner).execute(SESSION_REVOKE, {"input": {"id": gid}})
        assert result.ok("sessionRevoke")["session"]["id"] == gid
        assert (await api.as_(world.owner).execute(ME)).error_codes == ["UNAUTHENTICATED"]

    @pytest.mark.parametrize(
        "whose", ["admin", "outsider", "loner", "revoked", "missing", "a user id"]
    )
    async def test_a_session_that_is_not_mine_is_not_found(self, api, world, whose):
        if whose == "revoked":
            mine = await signed_in(api, "owner@alpha.test", PASSWORD)
            await api.execute(SIGN_OUT, {"input": {"refreshToken": mine.refresh_token}})
            gid = ids.encode("Session", (await session_of(mine)).id)
        elif whose == "missing":
            gid = ids.encode("Session", 987654)
        elif whose == "a user id":
            gid = world.owner.gid
        else:
            gid = ids.encode("Session", (await session_of(getattr(world, whose))).id)
        before = await row_counts()
        revoked_before = await Session.filter(revoked_at__not_isnull=True).count()

        result = await api.as_(world.owner).execute(SESSION_REVOKE, {"input": {"id": gid}})
        assert result.payload("sessionRevoke") == {
            "session": None,
            "errors": [{"code": "NOT_FOUND", "field": ["input", "id"], "message": "Not found."}],
        }
        assert await row_counts() == before
        assert await Session.filter(revoked_at__not_isnull=True).count() == revoked_before
        if whose not in ("revoked", "missing", "a user id"):
            assert (await api.as_(getattr(world, whose)).execute(ME)).data["me"]

    async def test_a_malformed_id_is_a_payload_error_on_its_path(self, api, world):
        result = await api.as_(world.owner).execute(SESSION_REVOKE, {"input": {"id": "%%%"}})
        assert result.payload("sessionRevoke")["errors"] == [
            {"code": "NOT_FOUND", "field": ["input", "id"], "message": "Not found."}
        ]

    async def test_needs_a_signed_in_user(self, api, world):
        gid = ids.encode("Session", (await session_of(world.owner)).id)
        result = await api.execute(SESSION_REVOKE, {"input": {"id": gid}})
        assert result.error_codes == ["UNAUTHENTICATED"]
        assert (await session_of(world.owner)).revoked_at is None

    async def test_node_does_not_show_another_users_session(self, api, world):
        gid = ids.encode("Session", (await session_of(world.admin)).id)
        query = "query($id: ID!) { node(id: $id) { ... on Session { device } } }"
        assert (await api.as_(world.owner).execute(query, {"id": gid})).error_codes == ["NOT_FOUND"]
        mine = await api.as_(world.admin).execute(query, {"id": gid})
        assert mine.data == {"node": {"device": "pytest"}}
