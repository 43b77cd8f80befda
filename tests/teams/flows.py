"""Shared operations, helpers and the seat clock for the teams tests."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from models.messaging import OutboxMessage
from resolvers.common import time
from resolvers.teams import clock as seat_clock_module
from schema import ids
from tests.support.mail import send_queued_mail
from tests.support.world import make_member

ERRORS = "errors { code field message }"
SEAT = "seat { seatType status paidBy hasAccess accessEndsAt trialEndsAt teamPaysFrom }"

TRIAL_START = f"""mutation($o: ID!, $t: SeatType!) {{
  seatTrialStart(input: {{organizationId: $o, seatType: $t}}) {{ {SEAT} {ERRORS} }} }}"""
SUBSCRIBE = f"""mutation($o: ID!, $t: SeatType!) {{
  seatSubscribe(input: {{organizationId: $o, seatType: $t}}) {{ {SEAT} {ERRORS} }} }}"""
CANCEL = f"""mutation($o: ID!) {{
  seatCancel(input: {{organizationId: $o}}) {{ {SEAT} {ERRORS} }} }}"""
TYPE_CHANGE = f"""mutation($o: ID!, $t: SeatType!) {{
  seatTypeChange(input: {{organizationId: $o, seatType: $t}}) {{ {SEAT} {ERRORS} }} }}"""
MY_SEAT = """query($o: ID!) { mySeat(organizationId: $o) {
  seatType status paidBy hasAccess accessEndsAt payingTeam { name } } }"""

TEAM_CREATE = f"""mutation($o: ID!, $name: String!, $support: Boolean! = false) {{
  teamCreate(input: {{organizationId: $o, name: $name, switchToSupport: $support}}) {{
    team {{ id name owner {{ email }} }} {ERRORS} }} }}"""
TRANSFER = f"""mutation($team: ID!, $user: ID!) {{
  teamOwnershipTransfer(input: {{teamId: $team, newOwnerId: $user}}) {{
    team {{ id owner {{ email }} }} {ERRORS} }} }}"""
INVITE = f"""mutation($team: ID!, $emails: [String!]! = [], $users: [ID!]! = [],
    $type: SeatType! = UNLIMITED, $payment: SeatPayment! = PAY_NOW) {{
  teamInviteMembers(input: {{teamId: $team, emails: $emails, userIds: $users,
      seatType: $type, payment: $payment}}) {{
    members {{ id status seatType payment user {{ email }} }} {ERRORS} }} }}"""
ACCEPT = f"""mutation($input: TeamInvitationAcceptInput!) {{
  teamInvitationAccept(input: $input) {{
    accessToken team {{ name }} member {{ status }} user {{ email emailVerified }}
    {ERRORS} }} }}"""
SEAT_PAY = f"""mutation($team: ID!, $user: ID!, $type: SeatType! = UNLIMITED,
    $payment: SeatPayment! = PAY_NOW) {{
  teamSeatPay(input: {{teamId: $team, userId: $user, seatType: $type, payment: $payment}}) {{
    {SEAT} {ERRORS} }} }}"""
SEAT_CANCEL = f"""mutation($team: ID!, $user: ID!) {{
  teamSeatCancel(input: {{teamId: $team, userId: $user}}) {{ {SEAT} {ERRORS} }} }}"""
MEMBER_REMOVE = f"""mutation($team: ID!, $user: ID!) {{
  teamMemberRemove(input: {{teamId: $team, userId: $user}}) {{ removedMemberId {ERRORS} }} }}"""
LEAVE = f"""mutation($team: ID!) {{
  teamLeave(input: {{teamId: $team}}) {{ removedMemberId {ERRORS} }} }}"""
TEAM = """query($id: ID!) { team(id: $id) { name owner { email }
  members(first: 20) { edges { node { status user { email } seat { paidBy } } } } } }"""
MY_TEAMS = "{ myTeams { name } teamsJoined { name } }"


class SeatClock:
    """The seats' clock, moved ahead without touching the sign-in's."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self):
        return time.now() + self.offset

    def advance(self, **delta) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def seat_clock(monkeypatch) -> SeatClock:
    moved = SeatClock()
    monkeypatch.setattr(seat_clock_module, "now", moved.now)
    return moved


async def a_person(email: str, password_hash: str, verified: bool = True):
    """A user with a login and no role anywhere: team members need not be staff."""
    return await make_member(email, password_hash, None, None, verified=verified)


async def with_seat(api, person, world, mutation=SUBSCRIBE, seat_type="UNLIMITED") -> dict:
    variables = {"o": world.org_gid, "t": seat_type}
    field = {TRIAL_START: "seatTrialStart", SUBSCRIBE: "seatSubscribe"}[mutation]
    return (await api.as_(person).execute(mutation, variables)).ok(field)["seat"]


async def a_team(api, owner, world, name="Clinique Nord") -> str:
    await with_seat(api, owner, world, TRIAL_START)
    result = await api.as_(owner).execute(TEAM_CREATE, {"o": world.org_gid, "name": name})
    return result.ok("teamCreate")["team"]["id"]


async def invitation_links(email: str) -> list[str]:
    await send_queued_mail()
    rows = await OutboxMessage.filter(recipient=email, template="team_invitation").order_by("id")
    return [link for row in rows for link in row.links]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def user_gid(member) -> str:
    return ids.encode("User", member.user.id)
