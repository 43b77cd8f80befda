"""`node(id:)` returns what the caller may see, and NOT_FOUND for anything else."""

from schema import ids

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Organization { name } ... on User { email } ... on Session { device } } }"""


async def test_node_fetches_each_visible_type(api, world):
    owner = api.as_(world.owner)
    org = await owner.execute(NODE, {"id": world.org_gid})
    assert org.data["node"] == {
        "__typename": "Organization",
        "id": world.org_gid,
        "name": "Club Alpha",
    }
    me = await owner.execute(NODE, {"id": world.owner.gid})
    assert me.data["node"]["email"] == "owner@alpha.test"


async def test_node_refuses_other_peoples_and_other_organizations_records(api, world):
    owner = api.as_(world.owner)
    for foreign in (
        world.other_org_gid,
        world.admin.gid,
        ids.encode("Organization", 424242),
        ids.encode("Nothing", 1),
    ):
        result = await owner.execute(NODE, {"id": foreign})
        assert result.data == {"node": None}
        assert result.error_codes == ["NOT_FOUND"], foreign


async def test_node_checks_the_permission_of_the_type(api, world):
    from models.audit import AuditEvent

    event = await AuditEvent.create(organization_id=world.organization.id, action="staff.add")
    event_id = ids.encode("AuditEvent", event.id)
    assert (await api.as_(world.admin).execute(NODE, {"id": event_id})).data["node"]
    refused = await api.as_(world.viewer).execute(NODE, {"id": event_id})
    assert refused.error_codes == ["FORBIDDEN"]


async def test_a_revoked_session_is_gone_from_node_as_from_my_sessions(api, world):
    from models.identity import Session
    from resolvers.common.time import now

    session = await Session.filter(user_id=world.owner.user.id).first()
    other = await Session.create(
        user=world.owner.user,
        access_token_hash="a" * 64,
        refresh_token_hash="b" * 64,
        access_expires_at=now(),
        refresh_expires_at=now(),
        last_used_at=now(),
        revoked_at=now(),
    )
    owner = api.as_(world.owner)
    alive = await owner.execute(NODE, {"id": ids.encode("Session", session.id)})
    assert alive.data["node"]["__typename"] == "Session"
    gone = await owner.execute(NODE, {"id": ids.encode("Session", other.id)})
    assert gone.error_codes == ["NOT_FOUND"]
