"""Invitations: resend (new link, old dead, new expiry), revoke, expiry, the list."""

from datetime import timedelta

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.staff import Invitation, StaffMembership
from resolvers.common.time import now
from tests.staff.flows import (
    ACCEPT,
    RESEND,
    REVOKE,
    STAFF_ADD,
    add_input,
    invitation_links,
    token_of,
)
from tests.support.worker import run_worker

INVITATIONS = """query($o: ID!, $state: InvitationState) {
  staffInvitations(organizationId: $o, state: $state) {
    totalCount edges { node { id email state sendCount invitedBy { email } } } } }"""


async def invite(api, world, settings, email="ines@example.test"):
    result = await api.as_(world.admin).execute(STAFF_ADD, add_input(world, email))
    await run_worker(settings)
    return result.ok("staffAdd")["invitation"]["id"]


async def test_resend_mails_a_new_link_and_kills_the_old_one(api, world, settings):
    invitation_id = await invite(api, world, settings)
    before = await Invitation.get(email="ines@example.test")
    await Invitation.filter(id=before.id).update(expires_at=now() + timedelta(hours=1))
    resent = await api.as_(world.admin).execute(RESEND, {"id": invitation_id})
    payload = resent.ok("invitationResend")["invitation"]
    await run_worker(settings)
    await run_worker(settings)
    old, new = await invitation_links("ines@example.test")
    assert old != new
    assert (await Invitation.get(id=before.id)).send_count == 2
    assert payload["expiresAt"] > (now() + timedelta(days=6)).isoformat()
    stale = await api.execute(
        ACCEPT, {"input": {"token": token_of(old), "password": "a long new password"}}
    )
    assert stale.payload_codes("invitationAccept") == ["TOKEN_REVOKED"]
    fresh = await api.execute(
        ACCEPT, {"input": {"token": token_of(new), "password": "a long new password"}}
    )
    fresh.ok("invitationAccept")
    assert await AuditEvent.filter(action="staff.invitation_resend").count() == 1
    assert await AuditEvent.filter(action="staff.invitation_accept").count() == 1


async def test_revoke_kills_the_link_and_the_invited_membership(api, world, settings):
    invitation_id = await invite(api, world, settings)
    revoked = await api.as_(world.admin).execute(REVOKE, {"id": invitation_id})
    assert revoked.ok("invitationRevoke")["invitation"]["state"] == "REVOKED"
    [link] = await invitation_links("ines@example.test")
    result = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "a long new password"}}
    )
    assert result.payload_codes("invitationAccept") == ["TOKEN_REVOKED"]
    assert not await StaffMembership.filter(user__email="ines@example.test").exists()
    twice = await api.as_(world.admin).execute(REVOKE, {"id": invitation_id})
    assert twice.payload_codes("invitationRevoke") == ["INVALID"]


async def test_an_expired_link_says_so_and_can_be_resent(api, world, settings):
    invitation_id = await invite(api, world, settings)
    await Invitation.filter(email="ines@example.test").update(expires_at=now() - timedelta(1))
    [link] = await invitation_links("ines@example.test")
    result = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": "a long new password"}}
    )
    assert result.payload_codes("invitationAccept") == ["TOKEN_EXPIRED"]
    listed = await api.as_(world.viewer).execute(
        INVITATIONS, {"o": world.org_gid, "state": "EXPIRED"}
    )
    assert [e["node"]["state"] for e in listed.data["staffInvitations"]["edges"]] == ["EXPIRED"]
    resent = await api.as_(world.admin).execute(RESEND, {"id": invitation_id})
    assert resent.ok("invitationResend")["invitation"]["state"] == "PENDING"


async def test_a_tampered_token_is_invalid(api, world, settings):
    await invite(api, world, settings)
    [link] = await invitation_links("ines@example.test")
    result = await api.execute(
        ACCEPT, {"input": {"token": token_of(link)[:-2] + "xx", "password": "a long new password"}}
    )
    assert result.payload_codes("invitationAccept") == ["TOKEN_INVALID"]


async def test_the_invitation_list_filters_by_state_in_one_query_per_page(api, world, settings):
    for i in range(3):
        await invite(api, world, settings, f"p{i}@example.test")
    viewer = api.as_(world.viewer)
    listed = await viewer.execute(INVITATIONS, {"o": world.org_gid, "state": "PENDING"})
    edges = listed.data["staffInvitations"]["edges"]
    assert [e["node"]["email"] for e in edges] == [
        "p2@example.test",
        "p1@example.test",
        "p0@example.test",
    ]
    assert {e["node"]["invitedBy"]["email"] for e in edges} == {"admin@alpha.test"}
    with count_statements() as few:
        await viewer.execute(INVITATIONS, {"o": world.org_gid})
    for i in range(3, 8):
        await invite(api, world, settings, f"p{i}@example.test")
    with count_statements() as many:
        await viewer.execute(INVITATIONS, {"o": world.org_gid})
    assert len(few) == len(many)


async def test_another_organizations_invitation_is_not_found(api, world, settings):
    invitation_id = await invite(api, world, settings)
    result = await api.as_(world.outsider).execute(RESEND, {"id": invitation_id})
    [error] = result.payload("invitationResend")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "invitationId"])
