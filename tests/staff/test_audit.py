"""Every staff change lands in the organization's audit log, with what it changed."""

from datetime import timedelta

from models.audit import AuditEvent
from models.identity import User
from models.staff import Invitation
from resolvers.common.time import today_in
from tests.staff.flows import (
    ACCEPT,
    CANCEL,
    DEACTIVATE,
    REACTIVATE,
    REMOVE,
    RESEND,
    REVOKE,
    ROLE_CHANGE,
    STAFF_ADD,
    add_input,
    invitation_links,
    member_gid,
    token_of,
)
from tests.support.worker import run_worker


async def events(world) -> list[AuditEvent]:
    return (
        await AuditEvent.filter(organization_id=world.organization.id, action__startswith="staff.")
        .order_by("id")
        .all()
    )


async def test_the_whole_lifecycle_is_audited(api, world, settings):
    admin = api.as_(world.admin)
    today = today_in(world.organization.timezone)
    added = (await admin.execute(STAFF_ADD, add_input(world, "au@example.test"))).ok("staffAdd")
    invitation_id = added["invitation"]["id"]
    await run_worker(settings)
    (await admin.execute(RESEND, {"id": invitation_id})).ok("invitationResend")
    await run_worker(settings)
    _, link = await invitation_links("au@example.test")
    accepted = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "a long new password"}}
    )
    accepted.ok("invitationAccept")
    member = added["member"]["id"]
    (await admin.execute(ROLE_CHANGE, {"id": member, "role": "VIEWER"})).ok("staffRoleChange")
    later = (today + timedelta(days=4)).isoformat()
    (await admin.execute(DEACTIVATE, {"id": member, "on": later})).ok("staffDeactivate")
    (await admin.execute(CANCEL, {"id": member})).ok("staffDeactivationCancel")
    (await admin.execute(DEACTIVATE, {"id": member, "on": today.isoformat()})).ok("staffDeactivate")
    (await admin.execute(REACTIVATE, {"id": member})).ok("staffReactivate")
    revoked = (await admin.execute(STAFF_ADD, add_input(world, "rv@example.test"))).ok("staffAdd")
    (await admin.execute(REVOKE, {"id": revoked["invitation"]["id"]})).ok("invitationRevoke")
    (await admin.execute(STAFF_ADD, add_input(world, "rm@example.test"))).ok("staffAdd")
    removed = await Invitation.get(email="rm@example.test").prefetch_related("membership")
    (await admin.execute(REMOVE, {"id": member_gid(removed.membership)})).ok("staffRemove")

    log = await events(world)
    assert [e.action for e in log] == [
        "staff.add",
        "staff.invitation_send",
        "staff.invitation_resend",
        "staff.invitation_accept",
        "staff.role_change",
        "staff.deactivate",
        "staff.deactivation_cancel",
        "staff.deactivate",
        "staff.reactivate",
        "staff.add",
        "staff.invitation_send",
        "staff.invitation_revoke",
        "staff.add",
        "staff.invitation_send",
        "staff.invitation_revoke",  # the removed person's open invitation dies with them
        "staff.remove",
    ]
    by_admin = [e for e in log if e.action != "staff.invitation_accept"]
    assert {e.actor_id for e in by_admin} == {world.admin.user.id}
    accept = log[3]
    assert accept.actor_id == (await User.get(email="au@example.test")).id  # the invitee
    assert (accept.before["membership"]["status"], accept.after["membership"]["status"]) == (
        "INVITED",
        "ACTIVE",
    )
    assert (log[4].before["role"], log[4].after["role"]) == ("AGENT", "VIEWER")
    assert (log[5].before["deactivate_on"], log[5].after["deactivate_on"]) == (None, later)
    assert (log[6].before["deactivate_on"], log[6].after["deactivate_on"]) == (later, None)
    assert (log[7].after["status"], log[8].before["status"], log[8].after["status"]) == (
        "DEACTIVATED",
        "DEACTIVATED",
        "ACTIVE",
    )
    for revoke in (log[11], log[14]):
        assert (revoke.before["state"], revoke.after["state"]) == ("PENDING", "REVOKED")
    assert log[14].after["email"] == "rm@example.test"
    assert log[15].before["status"] == "INVITED"
