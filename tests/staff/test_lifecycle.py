"""Role changes, removal, deactivation on a date, reactivation; the last owner stays."""

from datetime import timedelta

from models.audit import AuditEvent
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common.time import today_in
from tests.staff.flows import (
    CANCEL,
    DEACTIVATE,
    ORGANIZATION,
    REACTIVATE,
    REMOVE,
    ROLE_CHANGE,
    STAFF_ADD,
    member_gid,
)
from tests.support.worker import run_worker


def today(world):
    return today_in(world.organization.timezone)


async def test_role_change_is_audited(api, world):
    result = await api.as_(world.admin).execute(
        ROLE_CHANGE, {"id": member_gid(world.agent.membership), "role": "VIEWER"}
    )
    assert result.ok("staffRoleChange")["member"]["role"] == "VIEWER"
    event = await AuditEvent.get(action="staff.role_change")
    assert (event.before["role"], event.after["role"]) == ("AGENT", "VIEWER")
    assert event.actor_id == world.admin.user.id


async def test_admins_cannot_touch_owners(api, world):
    admin = api.as_(world.admin)
    owner_id = member_gid(world.owner.membership)
    demote = await admin.execute(ROLE_CHANGE, {"id": owner_id, "role": "VIEWER"})
    promote = await admin.execute(
        ROLE_CHANGE, {"id": member_gid(world.agent.membership), "role": "OWNER"}
    )
    remove = await admin.execute(REMOVE, {"id": owner_id})
    deactivate = await admin.execute(DEACTIVATE, {"id": owner_id, "on": today(world).isoformat()})
    for result, field in (
        (demote, "staffRoleChange"),
        (promote, "staffRoleChange"),
        (remove, "staffRemove"),
        (deactivate, "staffDeactivate"),
    ):
        assert result.payload_codes(field) == ["FORBIDDEN"], result.body
    owner = await StaffMembership.get(id=world.owner.membership.id)
    assert (owner.role, owner.status) == (Role.OWNER, MembershipStatus.ACTIVE)


async def test_the_last_active_owner_stays(api, world):
    owner = api.as_(world.owner)
    mine = member_gid(world.owner.membership)
    for query, variables, field in (
        (ROLE_CHANGE, {"id": mine, "role": "ADMIN"}, "staffRoleChange"),
        (REMOVE, {"id": mine}, "staffRemove"),
        (
            DEACTIVATE,
            {"id": mine, "on": (today(world) + timedelta(days=3)).isoformat()},
            "staffDeactivate",
        ),
    ):
        result = await owner.execute(query, variables)
        assert result.payload_codes(field) == ["LAST_OWNER"], result.body
    # With a second owner, the first may step down.
    await owner.execute(ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "OWNER"})
    stepped = await owner.execute(ROLE_CHANGE, {"id": mine, "role": "ADMIN"})
    assert stepped.ok("staffRoleChange")["member"]["role"] == "ADMIN"


async def test_removed_staff_lose_access_but_keep_their_login(api, world):
    result = await api.as_(world.admin).execute(REMOVE, {"id": member_gid(world.agent.membership)})
    assert result.ok("staffRemove")["removedMemberId"] == member_gid(world.agent.membership)
    denied = await api.as_(world.agent).execute(ORGANIZATION, {"id": world.org_gid})
    assert denied.error_codes == ["NOT_FOUND"]
    assert (await api.as_(world.agent).execute("{ me { email } }")).data
    assert await AuditEvent.filter(action="staff.remove").count() == 1


async def test_another_organizations_membership_is_not_found(api, world):
    other = member_gid(world.outsider.membership)
    result = await api.as_(world.owner).execute(REMOVE, {"id": other})
    [error] = result.payload("staffRemove")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "membershipId"])
    assert await StaffMembership.exists(id=world.outsider.membership.id)


async def test_a_date_in_the_past_is_refused(api, world):
    result = await api.as_(world.admin).execute(
        DEACTIVATE,
        {
            "id": member_gid(world.agent.membership),
            "on": (today(world) - timedelta(days=1)).isoformat(),
        },
    )
    [error] = result.payload("staffDeactivate")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "on"])


async def test_scheduled_deactivation_ends_access_on_the_date_only_here(api, world, settings):
    # The agent is also staff of the other organization: that access must survive.
    await api.as_(world.outsider).execute(
        STAFF_ADD,
        {
            "input": {
                "organizationId": world.other_org_gid,
                "email": world.agent.user.email,
                "firstName": "Agent",
                "role": "VIEWER",
            }
        },
    )
    membership = world.agent.membership
    later = today(world) + timedelta(days=10)
    result = await api.as_(world.admin).execute(
        DEACTIVATE, {"id": member_gid(membership), "on": later.isoformat()}
    )
    assert result.ok("staffDeactivate")["member"]["deactivateOn"] == later.isoformat()
    pending = await api.as_(world.admin).execute(
        "query($o: ID!) { staffMembers(organizationId: $o, filter: {pendingDeactivation: true})"
        " { edges { node { id deactivateOn } } } }",
        {"o": world.org_gid},
    )
    assert [e["node"]["id"] for e in pending.data["staffMembers"]["edges"]] == [
        member_gid(membership)
    ]
    agent = api.as_(world.agent)
    assert (await agent.execute(ORGANIZATION, {"id": world.org_gid})).data["organization"]

    # The date comes: access ends at once, before any job has run.
    await StaffMembership.filter(id=membership.id).update(deactivate_on=today(world))
    assert (await agent.execute(ORGANIZATION, {"id": world.org_gid})).error_codes == ["NOT_FOUND"]
    assert (await agent.execute(ORGANIZATION, {"id": world.other_org_gid})).data

    await run_worker(settings)  # runs apply_scheduled_deactivations at start-up
    await run_worker(settings)  # ... and again: nothing more happens
    membership = await StaffMembership.get(id=membership.id)
    assert membership.status is MembershipStatus.DEACTIVATED
    assert await AuditEvent.filter(action="staff.deactivated").count() == 1


async def test_deactivation_today_is_immediate_and_reactivation_gives_access_back(api, world):
    admin = api.as_(world.admin)
    gid = member_gid(world.agent.membership)
    result = await admin.execute(DEACTIVATE, {"id": gid, "on": today(world).isoformat()})
    assert result.ok("staffDeactivate")["member"]["status"] == "DEACTIVATED"
    assert (await api.as_(world.agent).execute(ORGANIZATION, {"id": world.org_gid})).errors
    again = await admin.execute(DEACTIVATE, {"id": gid, "on": today(world).isoformat()})
    assert again.payload_codes("staffDeactivate") == ["INVALID"]
    back = await admin.execute(REACTIVATE, {"id": gid})
    assert back.ok("staffReactivate")["member"] == {
        "id": gid,
        "role": "AGENT",
        "status": "ACTIVE",
        "deactivateOn": None,
    }
    assert (await api.as_(world.agent).execute(ORGANIZATION, {"id": world.org_gid})).data
    actions = await AuditEvent.filter(target_type="StaffMembership").values_list(
        "action", flat=True
    )
    assert {"staff.deactivate", "staff.reactivate"} <= set(actions)


async def test_a_pending_deactivation_can_be_cancelled(api, world):
    admin = api.as_(world.admin)
    gid = member_gid(world.agent.membership)
    later = (today(world) + timedelta(days=5)).isoformat()
    (await admin.execute(DEACTIVATE, {"id": gid, "on": later})).ok("staffDeactivate")
    cancelled = await admin.execute(CANCEL, {"id": gid})
    assert cancelled.ok("staffDeactivationCancel")["member"]["deactivateOn"] is None
    nothing = await admin.execute(CANCEL, {"id": gid})
    assert nothing.payload_codes("staffDeactivationCancel") == ["INVALID"]


async def test_owners_scheduled_to_leave_one_after_the_other_cannot_all_leave(api, world):
    """Both orders: whichever owner is scheduled second would leave nobody in charge."""
    owner = api.as_(world.owner)
    await owner.execute(ROLE_CHANGE, {"id": member_gid(world.admin.membership), "role": "OWNER"})
    mine, theirs = member_gid(world.owner.membership), member_gid(world.admin.membership)
    soon, later = (today(world) + timedelta(days=d) for d in (5, 10))
    for first, second in (((theirs, later), (mine, soon)), ((theirs, soon), (mine, later))):
        scheduled = await owner.execute(DEACTIVATE, {"id": first[0], "on": first[1].isoformat()})
        assert scheduled.ok("staffDeactivate")["member"]["deactivateOn"] == first[1].isoformat()
        refused = await owner.execute(DEACTIVATE, {"id": second[0], "on": second[1].isoformat()})
        assert refused.payload_codes("staffDeactivate") == ["LAST_OWNER"]
        # ... nor step down or leave while the other one is on their way out.
        demoted = await owner.execute(ROLE_CHANGE, {"id": second[0], "role": "ADMIN"})
        assert demoted.payload_codes("staffRoleChange") == ["LAST_OWNER"]
        assert (await owner.execute(REMOVE, {"id": second[0]})).payload_codes("staffRemove") == [
            "LAST_OWNER"
        ]
        (await owner.execute(CANCEL, {"id": first[0]})).ok("staffDeactivationCancel")
    # With the other owner staying for good, this one may go on any date.
    ok = await owner.execute(DEACTIVATE, {"id": mine, "on": later.isoformat()})
    assert ok.ok("staffDeactivate")["member"]["deactivateOn"] == later.isoformat()


async def test_only_owners_reactivate_or_cancel_for_owners(api, world):
    owner, admin = api.as_(world.owner), api.as_(world.admin)
    await owner.execute(ROLE_CHANGE, {"id": member_gid(world.agent.membership), "role": "OWNER"})
    gid = member_gid(world.agent.membership)
    later = (today(world) + timedelta(days=5)).isoformat()
    (await owner.execute(DEACTIVATE, {"id": gid, "on": later})).ok("staffDeactivate")
    cancel = await admin.execute(CANCEL, {"id": gid})
    assert cancel.payload_codes("staffDeactivationCancel") == ["FORBIDDEN"]
    (await owner.execute(DEACTIVATE, {"id": gid, "on": today(world).isoformat()})).ok(
        "staffDeactivate"
    )
    refused = await admin.execute(REACTIVATE, {"id": gid})
    assert refused.payload_codes("staffReactivate") == ["FORBIDDEN"]
    membership = await StaffMembership.get(id=world.agent.membership.id)
    assert membership.status is MembershipStatus.DEACTIVATED
    back = await owner.execute(REACTIVATE, {"id": gid})
    assert back.ok("staffReactivate")["member"]["status"] == "ACTIVE"


STATUS = """query($o: ID!, $filter: StaffFilterInput) {
  staffMembers(organizationId: $o, filter: $filter) {
    edges { node { id status deactivateOn } } } }"""


async def test_a_date_that_has_come_counts_before_the_job_records_it(api, world):
    """Between the start of the date and the hourly job, the membership is deactivated for
    every purpose: the list, its filters, cancelling (too late) and reactivating."""
    admin = api.as_(world.admin)
    gid = member_gid(world.agent.membership)
    later = (today(world) + timedelta(days=3)).isoformat()
    (await admin.execute(DEACTIVATE, {"id": gid, "on": later})).ok("staffDeactivate")
    await StaffMembership.filter(id=world.agent.membership.id).update(deactivate_on=today(world))

    def ids_of(result):
        return [e["node"]["id"] for e in result.data["staffMembers"]["edges"]]

    listed = await admin.execute(STATUS, {"o": world.org_gid, "filter": {"statuses": ["ACTIVE"]}})
    assert gid not in ids_of(listed) and len(ids_of(listed)) == 4
    gone = await admin.execute(
        STATUS, {"o": world.org_gid, "filter": {"statuses": ["DEACTIVATED"]}}
    )
    assert gone.data["staffMembers"]["edges"] == [
        {"node": {"id": gid, "status": "DEACTIVATED", "deactivateOn": today(world).isoformat()}}
    ]
    pending = await admin.execute(
        STATUS, {"o": world.org_gid, "filter": {"pendingDeactivation": True}}
    )
    assert ids_of(pending) == []

    late = await admin.execute(CANCEL, {"id": gid})
    [error] = late.payload("staffDeactivationCancel")["errors"]
    assert error["code"] == "INVALID" and "reactivate" in error["message"]
    assert (await api.as_(world.agent).execute(ORGANIZATION, {"id": world.org_gid})).errors
    french = await admin.execute(CANCEL, {"id": gid}, **{"accept-language": "fr"})
    [error] = french.payload("staffDeactivationCancel")["errors"]
    assert error["message"] == "L’accès de cette personne a déjà pris fin : réactivez-le plutôt."

    back = await admin.execute(REACTIVATE, {"id": gid})
    assert back.ok("staffReactivate")["member"]["status"] == "ACTIVE"
    assert (await api.as_(world.agent).execute(ORGANIZATION, {"id": world.org_gid})).data
    actions = await AuditEvent.filter(
        target_type="StaffMembership", target_id=str(world.agent.membership.id)
    ).order_by("id")
    assert [e.action for e in actions] == [
        "staff.deactivate",
        "staff.deactivated",
        "staff.reactivate",
    ]
    assert actions[1].actor_id is None  # the date did it
    assert (actions[2].before["status"], actions[2].after["status"]) == ("DEACTIVATED", "ACTIVE")


async def test_adding_someone_whose_access_ended_today_says_to_reactivate(api, world):
    await StaffMembership.filter(id=world.agent.membership.id).update(deactivate_on=today(world))
    again = await api.as_(world.admin).execute(
        STAFF_ADD,
        {
            "input": {
                "organizationId": world.org_gid,
                "email": world.agent.user.email,
                "firstName": "Agent",
                "role": "AGENT",
            }
        },
    )
    [error] = again.payload("staffAdd")["errors"]
    assert error["code"] == "ALREADY_EXISTS" and "reactivate" in error["message"]


async def test_my_organizations_drops_one_whose_deactivation_date_has_come(api, world):
    await StaffMembership.filter(id=world.agent.membership.id).update(
        deactivate_on=today(world)
    )
    mine = await api.as_(world.agent).execute("{ myOrganizations { name } }")
    assert mine.data == {"myOrganizations": []}
