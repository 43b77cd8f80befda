"""The audit log: filtered, paginated, per organization; billing admins see billing only."""

from datetime import timedelta

from models.audit import AuditEvent
from resolvers.common.time import now
from schema import ids

AUDIT = """
query($o: ID!, $filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(organizationId: $o, filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id action targetType targetId before after actor { email } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def seed(world):
    org = world.organization.id
    await AuditEvent.create(
        organization_id=org,
        actor=world.owner.user,
        action="staff.add",
        target_type="StaffMembership",
        target_id="1",
    )
    await AuditEvent.create(
        organization_id=org,
        actor=world.admin.user,
        action="organization.update",
        target_type="Organization",
        target_id=str(org),
        before={"name": "A"},
        after={"name": "B"},
    )
    await AuditEvent.create(
        organization_id=org,
        actor=world.billing_admin.user,
        action="billing.refund.create",
        target_type="Refund",
        target_id="7",
    )
    old = await AuditEvent.create(
        organization_id=org,
        actor=world.owner.user,
        action="staff.role_change",
        target_type="StaffMembership",
        target_id="1",
    )
    await AuditEvent.filter(id=old.id).update(created_at=now() - timedelta(days=10))
    await AuditEvent.create(
        organization_id=world.other_organization.id, actor=world.outsider.user, action="staff.add"
    )


def actions(result):
    return [e["node"]["action"] for e in result.data["auditLog"]["edges"]]


async def test_newest_first_and_only_this_organization(api, world):
    await seed(world)
    result = await api.as_(world.owner).execute(AUDIT, {"o": world.org_gid})
    assert actions(result) == [
        "billing.refund.create",
        "organization.update",
        "staff.add",
        "staff.role_change",
    ]
    assert result.data["auditLog"]["totalCount"] == 4
    update = result.data["auditLog"]["edges"][1]["node"]
    assert update["before"] == {"name": "A"} and update["after"] == {"name": "B"}
    assert update["actor"] == {"email": "admin@alpha.test"}


async def test_filters(api, world):
    await seed(world)
    owner = api.as_(world.owner)

    async def run(filter_):
        return actions(await owner.execute(AUDIT, {"o": world.org_gid, "filter": filter_}))

    assert await run({"action": "staff."}) == ["staff.add", "staff.role_change"]
    assert await run({"action": "staff.add"}) == ["staff.add"]
    assert await run({"actorId": world.admin.gid}) == ["organization.update"]
    target = ids.encode("Organization", world.organization.id)
    assert await run({"targetId": target}) == ["organization.update"]
    since = (now() - timedelta(days=1)).isoformat()
    assert "staff.role_change" not in await run({"since": since})
    assert await run({"until": since}) == ["staff.role_change"]


async def test_pages_with_cursors(api, world):
    await seed(world)
    owner = api.as_(world.owner)
    first = await owner.execute(AUDIT, {"o": world.org_gid, "first": 3})
    assert len(first.data["auditLog"]["edges"]) == 3
    assert first.data["auditLog"]["pageInfo"]["hasNextPage"] is True
    rest = await owner.execute(
        AUDIT,
        {"o": world.org_gid, "first": 3, "after": first.data["auditLog"]["pageInfo"]["endCursor"]},
    )
    assert actions(rest) == ["staff.role_change"]
    assert rest.data["auditLog"]["pageInfo"]["hasNextPage"] is False


async def test_billing_admin_sees_billing_events_only(api, world):
    await seed(world)
    result = await api.as_(world.billing_admin).execute(AUDIT, {"o": world.org_gid})
    assert actions(result) == ["billing.refund.create"]


async def test_page_size_and_cursor_validation(api, world):
    owner = api.as_(world.owner)
    for first in (0, 101, -1):
        result = await owner.execute(AUDIT, {"o": world.org_gid, "first": first})
        assert result.error_codes == ["BAD_USER_INPUT"], first
    result = await owner.execute(AUDIT, {"o": world.org_gid, "after": "garbage!"})
    assert result.error_codes == ["BAD_USER_INPUT"]
    # Refused before execution, like a validation error: a request error, so a 400.
    assert result.status == 400


async def test_total_count_is_computed_only_when_asked(api, world):
    from carnet.statements import count_statements

    await seed(world)
    owner = api.as_(world.owner)
    without = "query($o: ID!) { auditLog(organizationId: $o) { edges { node { action } } } }"
    with count_statements() as plain:
        await owner.execute(without, {"o": world.org_gid})
    with_count = without.replace("{ edges", "{ totalCount edges")
    with count_statements() as counted:
        await owner.execute(with_count, {"o": world.org_gid})
    assert len(counted) == len(plain) + 1

