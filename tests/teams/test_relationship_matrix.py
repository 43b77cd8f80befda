"""The authorization matrix by relationship: each team field run as the team's owner, as
one of its members and as a signed-in stranger, none of them staff. TEAM_OWNER fields
let the owner in, TEAM_MEMBER fields members too; a refused caller changes no row."""

import pytest

from models.teams import PaidBy, Seat, SeatStatus, SeatType, TeamMember, TeamMemberStatus
from resolvers.common.time import now
from schema import ids
from tests.teams.flows import (
    INVITE,
    LEAVE,
    MEMBER_REMOVE,
    SEAT_CANCEL,
    SEAT_PAY,
    TRANSFER,
    a_person,
    a_team,
    user_gid,
)
from tests.test_authorization import database_state

MEMBERS = """query($id: ID!) { members: team(id: $id) { members(first: 5) {
  edges { node { id } } } } }"""
TEAM_ONLY = "query($id: ID!) { team(id: $id) { id name } }"

# operation, field, who gets in (besides staff with the permission)
CASES = {
    "team": (TEAM_ONLY, "team", {"owner", "member"}),
    "members": (MEMBERS, "members", {"owner"}),
    "transfer": (TRANSFER, "teamOwnershipTransfer", {"owner"}),
    "invite": (INVITE, "teamInviteMembers", {"owner"}),
    "seatPay": (SEAT_PAY, "teamSeatPay", {"owner"}),
    "seatCancel": (SEAT_CANCEL, "teamSeatCancel", {"owner"}),
    "memberRemove": (MEMBER_REMOVE, "teamMemberRemove", {"owner"}),
    "leave": (LEAVE, "teamLeave", {"owner", "member"}),
}


def outcome(result, field: str) -> str:
    codes = [c for c in result.error_codes if c in {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"}]
    if codes:
        return codes[0]
    payload = result.data[field]
    if isinstance(payload, dict) and "NOT_FOUND" in [
        e["code"] for e in payload.get("errors") or []
    ]:
        return "NOT_FOUND"
    return "ALLOWED"


async def a_team_with_people(api, world, password_hash, serial: int):
    owner = await a_person(f"owner{serial}@example.test", password_hash)
    member = await a_person(f"member{serial}@example.test", password_hash)
    target = await a_person(f"target{serial}@example.test", password_hash)
    team = await a_team(api, owner, world)
    team_id = ids.decode(team)[1]
    for person in (member, target):
        await TeamMember.create(team_id=team_id, user=person.user, status=TeamMemberStatus.ACTIVE)
    return owner, member, target, team, team_id


@pytest.mark.parametrize("case", sorted(CASES))
async def test_team_fields_by_relationship(case, api, world, password_hash):
    operation, field, allowed = CASES[case]
    stranger = await a_person("stranger@example.test", password_hash)
    failures = []
    for serial, who in enumerate(("owner", "member", "stranger")):
        owner, member, target, team, team_id = await a_team_with_people(
            api, world, password_hash, serial
        )
        if case == "transfer":
            await Seat.create(
                organization=world.organization,
                user=target.user,
                seat_type=SeatType.SUPPORT,
                status=SeatStatus.ACTIVE,
            )
        if case == "seatCancel":
            await Seat.create(
                organization=world.organization,
                user=target.user,
                seat_type=SeatType.UNLIMITED,
                status=SeatStatus.ACTIVE,
                paid_by=PaidBy.TEAM,
                paying_team_id=team_id,
                team_pays_from=now(),
            )
        variables = {
            "id": team,
            "team": team,
            "user": user_gid(target),
            "emails": [f"invitee{serial}@example.test"],
        }
        caller = {"owner": owner, "member": member, "stranger": stranger}[who]
        before = await database_state()
        result = await api.as_(caller).execute(operation, variables)
        got = outcome(result, field)
        want = "ALLOWED" if who in allowed else "NOT_FOUND"
        if got != want:
            failures.append(f"{who}: got {got}, expected {want} ({result.body})")
        elif want != "ALLOWED" and await database_state() != before:
            failures.append(f"{who}: refused, yet rows changed")
    assert not failures, "\n".join(failures)
