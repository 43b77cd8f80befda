"""Staff changes racing each other: clear answers, never a 500, and an owner always remains.

On PostgreSQL the requests really overlap (one connection each); SQLite serializes them.
"""

import asyncio
import contextvars

from models.identity import User
from models.staff import Invitation, MembershipStatus, Role, StaffMembership
from resolvers.common.locks import Purpose, advisory_lock
from resolvers.common.tasks import unit_of_work
from tests.staff.flows import REMOVE, ROLE_CHANGE, STAFF_ADD, add_input, member_gid


def in_other_org(world, email: str) -> dict:
    variables = add_input(world, email)
    variables["input"]["organizationId"] = world.other_org_gid
    return variables


async def test_adding_the_same_person_twice_at_once_adds_them_once(api, world):
    admin = api.as_(world.admin)
    results = await asyncio.gather(
        *(admin.execute(STAFF_ADD, add_input(world, "race@example.test")) for _ in range(3))
    )
    assert [r.errors for r in results] == [[], [], []]
    codes = sorted(tuple(r.payload_codes("staffAdd")) for r in results)
    assert codes == [(), ("ALREADY_EXISTS",), ("ALREADY_EXISTS",)]
    assert await User.filter(email="race@example.test").count() == 1
    assert await StaffMembership.filter(user__email="race@example.test").count() == 1
    assert await Invitation.filter(email="race@example.test").count() == 1


async def test_two_organizations_inviting_the_same_new_person_at_once_share_one_login(api, world):
    for i in range(3):  # a few rounds, so the inserts really collide on PostgreSQL
        email = f"both{i}@example.test"
        alpha, beta = await asyncio.gather(
            api.as_(world.admin).execute(STAFF_ADD, add_input(world, email)),
            api.as_(world.outsider).execute(STAFF_ADD, in_other_org(world, email)),
        )
        assert alpha.ok("staffAdd")["member"]["status"] == "INVITED", alpha.body
        assert beta.ok("staffAdd")["member"]["status"] == "INVITED", beta.body
        assert await User.filter(email=email).count() == 1
        organizations = await StaffMembership.filter(user__email=email).values_list(
            "organization_id", flat=True
        )
        assert sorted(organizations) == [world.organization.id, world.other_organization.id]


async def test_adding_someone_while_they_register_never_fails(api, world):
    register = (
        'mutation { userRegister(input: {email: "both@example.test", password: '
        '"a long new password", firstName: "Bo"}) { errors { code } } }'
    )
    added, registered = await asyncio.gather(
        api.as_(world.admin).execute(STAFF_ADD, add_input(world, "both@example.test")),
        api.execute(register),
    )
    assert added.ok("staffAdd")["member"]["status"] == "INVITED", added.body
    assert not registered.errors, registered.body
    assert await User.filter(email="both@example.test").count() == 1


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(api, world):
    await api.as_(world.owner).execute(
        ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "OWNER"}
    )
    first, second = await asyncio.gather(
        api.as_(world.owner).execute(
            ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "ADMIN"}
        ),
        api.as_(world.admin).execute(
            ROLE_CHANGE, {"id": member_gid(world.owner.membership), "role": "ADMIN"}
        ),
    )
    codes = [first.payload_codes("staffRoleChange"), second.payload_codes("staffRoleChange")]
    # One wins; the other is no longer an owner (FORBIDDEN) or would be the last (LAST_OWNER).
    assert sorted(codes) in ([[], ["FORBIDDEN"]], [[], ["LAST_OWNER"]]), codes
    owners = await StaffMembership.filter(
        organization=world.organization, role=Role.OWNER, status=MembershipStatus.ACTIVE
    ).count()
    assert owners == 1


async def test_a_role_lost_while_waiting_for_the_lock_counts(api, world):
    """The guard reads the caller's role before the staff lock; a demotion that
    commits in between must still stop them (here: a former owner removing an owner)."""
    owner = api.as_(world.owner)
    for member in (world.admin, world.agent):
        await owner.execute(ROLE_CHANGE, {"id": member_gid(member.membership), "role": "OWNER"})
    outside = contextvars.copy_context()  # the request must not run in our transaction
    async with unit_of_work():
        await advisory_lock(world.organization.id, Purpose.STAFF)
        removal = asyncio.create_task(
            api.as_(world.admin).execute(REMOVE, {"id": member_gid(world.agent.membership)}),
            context=outside,
        )
        await asyncio.sleep(0.3)  # it passes the guard as an owner, then waits for the lock
        await StaffMembership.filter(id=world.admin.membership.id).update(role=Role.VIEWER)
    result = await removal
    assert result.error_codes == ["FORBIDDEN"], result.body
    assert await StaffMembership.exists(id=world.agent.membership.id, role=Role.OWNER)
