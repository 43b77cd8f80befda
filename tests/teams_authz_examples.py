"""Authorization-matrix examples for teams and seats (see tests/support/authz.py).

Each call builds its own team, owned by a person who is no staff anywhere, so staff get in
by their role alone (teams.read / teams.manage) and the other organization's owner is
nothing to it; seat self-service needs only a signed-in user.
"""

from __future__ import annotations

from itertools import count

from models.identity import User
from models.teams import PaidBy, Seat, SeatStatus, SeatType, Team, TeamMember, TeamMemberStatus
from resolvers.common.time import now
from schema import ids
from tests.support.authz import example

_serial = count()
ERRORS = "errors { code field }"


async def _person(seat: dict | None, organization) -> User:
    user = await User.create(
        email=f"team.person.{next(_serial)}@example.test", password_hash="", email_verified_at=now()
    )
    if seat is not None:
        await Seat.create(organization=organization, user=user, **seat)
    return user


SUPPORT = {"seat_type": SeatType.SUPPORT, "status": SeatStatus.ACTIVE}


async def _team_with_member(world, member_seat: dict | None = SUPPORT):
    owner = await _person(SUPPORT, world.organization)
    team = await Team.create(organization=world.organization, name="Team", owner=owner)
    await TeamMember.create(team=team, user=owner, status=TeamMemberStatus.ACTIVE)
    member = await _person(member_seat, world.organization)
    await TeamMember.create(team=team, user=member, status=TeamMemberStatus.ACTIVE)
    return team, member


async def a_team(world, caller):
    team, member = await _team_with_member(world)
    return {"id": ids.encode("Team", team.id)}


async def a_team_and_member(world, caller):
    team, member = await _team_with_member(world, None)
    return {"team": ids.encode("Team", team.id), "user": ids.encode("User", member.id)}


async def a_team_and_supported_member(world, caller):
    team, member = await _team_with_member(world)
    return {"team": ids.encode("Team", team.id), "user": ids.encode("User", member.id)}


async def a_team_paying_a_member(world, caller):
    team, member = await _team_with_member(world, None)
    await Seat.create(
        organization=world.organization,
        user=member,
        seat_type=SeatType.UNLIMITED,
        status=SeatStatus.ACTIVE,
        paid_by=PaidBy.TEAM,
        paying_team=team,
        team_pays_from=now(),
    )
    return {"team": ids.encode("Team", team.id), "user": ids.encode("User", member.id)}


async def a_team_to_invite_to(world, caller):
    team, _ = await _team_with_member(world)
    return {"team": ids.encode("Team", team.id), "email": f"invitee.{next(_serial)}@example.test"}


async def organization_id(world, caller):
    return {"o": world.org_gid}


SEAT = "seat { status }"

example(
    "Query.mySeat",
    "query($o: ID!) { mySeat(organizationId: $o) { seatType hasAccess } }",
    organization_id,
)
example("Query.myTeams", "{ myTeams { id name } }")
example("Query.teamsJoined", "{ teamsJoined { id name } }")
example("Query.team", "query($id: ID!) { team(id: $id) { id name owner { id } } }", a_team)
example(
    "Query.teams",
    "query($o: ID!) { teams(organizationId: $o, first: 5) { edges { node { id } } } }",
    organization_id,
)
example(
    "Team.members",
    "query($id: ID!) { members: team(id: $id) { members(first: 5) "
    "{ edges { node { id status seat { paidBy } } } } } }",
    a_team,
)
example(
    "Mutation.seatTrialStart",
    "mutation($o: ID!) { seatTrialStart(input: {organizationId: $o, seatType: UNLIMITED}) "
    f"{{ {SEAT} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.seatSubscribe",
    "mutation($o: ID!) { seatSubscribe(input: {organizationId: $o, seatType: ESSENTIALS}) "
    f"{{ {SEAT} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.seatCancel",
    f"mutation($o: ID!) {{ seatCancel(input: {{organizationId: $o}}) {{ {SEAT} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.seatTypeChange",
    "mutation($o: ID!) { seatTypeChange(input: {organizationId: $o, seatType: SUPPORT}) "
    f"{{ {SEAT} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.teamCreate",
    'mutation($o: ID!) { teamCreate(input: {organizationId: $o, name: "Nord", '
    f"switchToSupport: true}}) {{ team {{ id }} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.teamOwnershipTransfer",
    "mutation($team: ID!, $user: ID!) { teamOwnershipTransfer(input: {teamId: $team, "
    f"newOwnerId: $user}}) {{ team {{ id }} {ERRORS} }} }}",
    a_team_and_supported_member,
)
example(
    "Mutation.teamInviteMembers",
    "mutation($team: ID!, $email: String!) { teamInviteMembers(input: {teamId: $team, "
    "emails: [$email], seatType: ESSENTIALS, payment: PAY_NOW}) "
    f"{{ members {{ id }} {ERRORS} }} }}",
    a_team_to_invite_to,
)
example(
    "Mutation.teamSeatPay",
    "mutation($team: ID!, $user: ID!) { teamSeatPay(input: {teamId: $team, userId: $user, "
    f"seatType: UNLIMITED, payment: PAY_NOW}}) {{ {SEAT} {ERRORS} }} }}",
    a_team_and_member,
)
example(
    "Mutation.teamSeatCancel",
    "mutation($team: ID!, $user: ID!) { teamSeatCancel(input: {teamId: $team, userId: $user}) "
    f"{{ {SEAT} {ERRORS} }} }}",
    a_team_paying_a_member,
)
example(
    "Mutation.teamMemberRemove",
    "mutation($team: ID!, $user: ID!) { teamMemberRemove(input: {teamId: $team, "
    f"userId: $user}}) {{ removedMemberId {ERRORS} }} }}",
    a_team_and_member,
)


async def a_team_leave_variables(world, caller):
    # The caller is no member: staff are refused (no permission grants leaving), the
    # relationship is tried in tests/teams.
    team, _ = await _team_with_member(world)
    return {"team": ids.encode("Team", team.id)}


example(
    "Mutation.teamLeave",
    "mutation($team: ID!) { teamLeave(input: {teamId: $team}) "
    f"{{ removedMemberId {ERRORS} }} }}",
    a_team_leave_variables,
)
example(
    "Mutation.teamInvitationAccept",
    'mutation { teamInvitationAccept(input: {token: "not-a-token"}) { errors { code } } }',
)


async def a_team_with_an_invitee(world, caller):
    from datetime import timedelta

    from models.staff import Invitation, InvitationKind

    team, _ = await _team_with_member(world)
    invitee = await _person(None, world.organization)
    invitation = await Invitation.create(
        organization=world.organization,
        kind=InvitationKind.TEAM,
        user=invitee,
        email=invitee.email,
        expires_at=now() + timedelta(days=7),
        send_requested_at=now(),
    )
    await TeamMember.create(
        team=team, user=invitee, status=TeamMemberStatus.INVITED, invitation=invitation
    )
    return {"team": ids.encode("Team", team.id), "user": ids.encode("User", invitee.id)}


example(
    "Mutation.teamInvitationResend",
    "mutation($team: ID!, $user: ID!) { teamInvitationResend(input: {teamId: $team, "
    f"userId: $user}}) {{ member {{ id }} {ERRORS} }} }}",
    a_team_with_an_invitee,
)


# Team billing (issue 16): the team's owner is no staff, so staff get in by billing.read /
# billing.write alone.
async def _billed_team(world):
    from models.team_billing import BillingInterval
    from resolvers.teams import billing

    team, member = await _team_with_member(world)
    await billing._new_account(team, BillingInterval.MONTHLY, now().date(), "tok_visa")
    return team


async def a_billed_team(world, caller):
    return {"id": ids.encode("Team", (await _billed_team(world)).id)}


async def two_billed_teams(world, caller):
    team, into = await _billed_team(world), await _billed_team(world)
    return {"team": ids.encode("Team", team.id), "into": ids.encode("Team", into.id)}


example(
    "Team.billing",
    "query($id: ID!) { billing: team(id: $id) { billing { interval anchorDate paymentMethod "
    "invoices { id } upcomingInvoice { date amount { amount currency } } } } }",
    a_billed_team,
)
example(
    "Mutation.teamBillingUpdate",
    "mutation($id: ID!) { teamBillingUpdate(input: {teamId: $id, paymentMethod: "
    f'"tok_mastercard"}}) {{ billing {{ paymentMethod }} {ERRORS} }} }}',
    a_billed_team,
)
example(
    "Mutation.teamBillingGroup",
    "mutation($team: ID!, $into: ID!) { teamBillingGroup(input: {teamId: $team, "
    f"intoTeamId: $into}}) {{ billing {{ teams }} {ERRORS} }} }}",
    two_billed_teams,
)
example(
    "Mutation.teamSeatTypeChange",
    "mutation($team: ID!, $user: ID!) { teamSeatTypeChange(input: {teamId: $team, "
    f"userId: $user, seatType: ESSENTIALS}}) {{ {SEAT} {ERRORS} }} }}",
    a_team_paying_a_member,
)
