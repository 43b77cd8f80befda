"""Authorization-matrix examples for the staff fields (see tests/support/authz.py)."""

from __future__ import annotations

from itertools import count

from models.staff import Invitation, InvitationKind, MembershipStatus, Role, StaffMembership
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example
from tests.support.world import make_member

_serial = count()


async def organization_id(world, caller):
    return {"organizationId": world.org_gid}


async def a_fresh_agent(world, caller):
    """Each call acts on a new AGENT, so allowed calls do not collide with each other."""
    member = await make_member(
        f"agent{next(_serial)}@alpha.test", "", world.organization, Role.AGENT
    )
    return {"id": ids.encode("StaffMember", member.membership.id)}


async def a_fresh_deactivated_agent(world, caller):
    variables = await a_fresh_agent(world, caller)
    await StaffMembership.filter(id=ids.decode(variables["id"])[1]).update(
        status=MembershipStatus.DEACTIVATED, deactivated_at=now()
    )
    return variables


async def a_fresh_scheduled_agent(world, caller):
    from datetime import date, timedelta

    variables = await a_fresh_agent(world, caller)
    await StaffMembership.filter(id=ids.decode(variables["id"])[1]).update(
        deactivate_on=date.today() + timedelta(days=30)
    )
    return variables


async def a_fresh_invitation(world, caller):
    from datetime import timedelta

    member = await make_member(
        f"invitee{next(_serial)}@alpha.test", "", world.organization, Role.VIEWER
    )
    await StaffMembership.filter(id=member.membership.id).update(status=MembershipStatus.INVITED)
    invitation = await Invitation.create(
        organization=world.organization,
        kind=InvitationKind.STAFF,
        user=member.user,
        email=member.user.email,
        membership=member.membership,
        expires_at=now() + timedelta(days=7),
        send_requested_at=now(),
    )
    return {"id": ids.encode("Invitation", invitation.id)}


async def a_new_email(world, caller):
    return {"organizationId": world.org_gid, "email": f"new{next(_serial)}@example.test"}


MEMBER = "member { id role status } errors { code }"

example(
    "Query.staffMembers",
    "query($organizationId: ID!) { staffMembers(organizationId: $organizationId, first: 5) "
    "{ edges { node { id role user { email } } } } }",
    organization_id,
)
example(
    "Query.staffInvitations",
    "query($organizationId: ID!) { staffInvitations(organizationId: $organizationId) "
    "{ edges { node { id state } } } }",
    organization_id,
)
example(
    "Mutation.staffAdd",
    "mutation($organizationId: ID!, $email: String!) { staffAdd(input: {organizationId: "
    '$organizationId, email: $email, firstName: "New", role: AGENT}) '
    "{ member { id } invitation { id } errors { code } } }",
    a_new_email,
)
example(
    "Mutation.staffRoleChange",
    "mutation($id: ID!) { staffRoleChange(input: {membershipId: $id, role: VIEWER}) "
    f"{{ {MEMBER} }} }}",
    a_fresh_agent,
)
example(
    "Mutation.staffRemove",
    "mutation($id: ID!) { staffRemove(input: {membershipId: $id}) "
    "{ removedMemberId errors { code } } }",
    a_fresh_agent,
)
example(
    "Mutation.staffDeactivate",
    'mutation($id: ID!) { staffDeactivate(input: {membershipId: $id, on: "2099-01-01"}) '
    f"{{ {MEMBER} }} }}",
    a_fresh_agent,
)
example(
    "Mutation.staffDeactivationCancel",
    "mutation($id: ID!) { staffDeactivationCancel(input: {membershipId: $id}) "
    f"{{ {MEMBER} }} }}",
    a_fresh_scheduled_agent,
)
example(
    "Mutation.staffReactivate",
    f"mutation($id: ID!) {{ staffReactivate(input: {{membershipId: $id}}) {{ {MEMBER} }} }}",
    a_fresh_deactivated_agent,
)
example(
    "Mutation.invitationResend",
    "mutation($id: ID!) { invitationResend(input: {invitationId: $id}) "
    "{ invitation { id } errors { code } } }",
    a_fresh_invitation,
)
example(
    "Mutation.invitationRevoke",
    "mutation($id: ID!) { invitationRevoke(input: {invitationId: $id}) "
    "{ invitation { id } errors { code } } }",
    a_fresh_invitation,
)
example(
    "Mutation.invitationAccept",
    'mutation { invitationAccept(input: {token: "not-a-token"}) { accessToken errors { code } } }',
)
