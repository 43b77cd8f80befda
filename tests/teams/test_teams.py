"""Teams: the owner rule, ownership transfer, My teams / Teams joined, leaving and removal,
staff access by role, and tenancy."""

from models.audit import AuditEvent
from models.teams import Team, TeamMember, TeamMemberStatus
from schema import ids
from tests.teams.flows import (
    LEAVE,
    MEMBER_REMOVE,
    MY_TEAMS,
    TEAM,
    TEAM_CREATE,
    TRANSFER,
    TRIAL_START,
    TYPE_CHANGE,
    a_person,
    a_team,
    user_gid,
    with_seat,
)


async def join(team_gid: str, person) -> None:
    team_id = ids.decode(team_gid)[1]
    await TeamMember.create(team_id=team_id, user=person.user, status=TeamMemberStatus.ACTIVE)


async def test_an_owner_without_a_seat_is_told_the_rule(api, world, password_hash):
    manager = await a_person("manager@example.test", password_hash)
    refused = await api.as_(manager).execute(TEAM_CREATE, {"o": world.org_gid, "name": "Nord"})
    [error] = refused.payload("teamCreate")["errors"]
    assert error["code"] == "SEAT_REQUIRED"
    assert "Support" in error["message"]
    assert await Team.all().count() == 0


async def test_an_administering_owner_switches_to_support_then_creates(api, world, password_hash):
    manager = await a_person("manager@example.test", password_hash)
    switched = await api.as_(manager).execute(TYPE_CHANGE, {"o": world.org_gid, "t": "SUPPORT"})
    switched.ok("seatTypeChange")
    created = await api.as_(manager).execute(TEAM_CREATE, {"o": world.org_gid, "name": "Nord"})
    team = created.ok("teamCreate")["team"]
    assert team["owner"]["email"] == "manager@example.test"
    assert await AuditEvent.filter(action="team.create").count() == 1


async def test_teamCreate_offers_the_switch_to_support(api, world, password_hash):
    manager = await a_person("manager@example.test", password_hash)
    created = await api.as_(manager).execute(
        TEAM_CREATE, {"o": world.org_gid, "name": "Nord", "support": True}
    )
    created.ok("teamCreate")
    seat = await manager.user.seats.all().first()
    assert seat.seat_type.value == "SUPPORT"


async def test_a_vet_in_trial_owns_a_team(api, world, password_hash):
    vet = await a_person("vet@example.test", password_hash)
    await api.as_(vet).execute(TRIAL_START, {"o": world.org_gid, "t": "UNLIMITED"})
    created = await api.as_(vet).execute(TEAM_CREATE, {"o": world.org_gid, "name": "Nord"})
    created.ok("teamCreate")


async def test_my_teams_and_teams_joined_are_separate(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    member = await a_person("member@example.test", password_hash)
    team = await a_team(api, owner, world, "Nord")
    await join(team, member)
    mine = (await api.as_(owner).execute(MY_TEAMS)).data
    assert mine == {"myTeams": [{"name": "Nord"}], "teamsJoined": []}
    theirs = (await api.as_(member).execute(MY_TEAMS)).data
    assert theirs == {"myTeams": [], "teamsJoined": [{"name": "Nord"}]}


async def test_ownership_moves_to_a_member_who_may_own(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    member = await a_person("member@example.test", password_hash)
    team = await a_team(api, owner, world)
    await join(team, member)
    variables = {"team": team, "user": user_gid(member)}
    refused = await api.as_(owner).execute(TRANSFER, variables)
    assert refused.payload_codes("teamOwnershipTransfer") == ["SEAT_REQUIRED"]
    await with_seat(api, member, world)
    moved = await api.as_(owner).execute(TRANSFER, variables)
    assert moved.ok("teamOwnershipTransfer")["team"]["owner"]["email"] == "member@example.test"
    # The former owner stays a member, and may now leave; the new one may not.
    assert (await api.as_(member).execute(LEAVE, {"team": team})).payload_codes("teamLeave") == [
        "TEAM_OWNER"
    ]
    (await api.as_(owner).execute(LEAVE, {"team": team})).ok("teamLeave")
    assert await AuditEvent.filter(action="team.ownership_transfer").count() == 1


async def test_the_owner_cannot_be_removed(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    refused = await api.as_(world.admin).execute(
        MEMBER_REMOVE, {"team": team, "user": user_gid(owner)}
    )
    assert refused.payload_codes("teamMemberRemove") == ["TEAM_OWNER"]
    assert await TeamMember.filter(user=owner.user).count() == 1


async def test_staff_see_and_manage_every_team_of_their_organization(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    member = await a_person("member@example.test", password_hash)
    team = await a_team(api, owner, world)
    await join(team, member)
    seen = await api.as_(world.viewer).execute(TEAM, {"id": team})
    assert len(seen.data["team"]["members"]["edges"]) == 2
    refused = await api.as_(world.agent).execute(
        MEMBER_REMOVE, {"team": team, "user": user_gid(member)}
    )
    assert refused.error_codes == ["FORBIDDEN"]
    removed = await api.as_(world.billing_admin).execute(
        MEMBER_REMOVE, {"team": team, "user": user_gid(member)}
    )
    removed.ok("teamMemberRemove")
    assert not await TeamMember.filter(user=member.user).exists()


async def test_a_member_sees_the_team_but_not_its_member_list(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    member = await a_person("member@example.test", password_hash)
    stranger = await a_person("stranger@example.test", password_hash)
    team = await a_team(api, owner, world)
    await join(team, member)
    as_owner = await api.as_(owner).execute(TEAM, {"id": team})
    assert len(as_owner.data["team"]["members"]["edges"]) == 2
    as_member = await api.as_(member).execute(TEAM, {"id": team})
    assert as_member.data["team"]["name"] == "Clinique Nord"
    assert as_member.data["team"]["members"] is None
    assert as_member.error_codes == ["NOT_FOUND"]
    as_stranger = await api.as_(stranger).execute(TEAM, {"id": team})
    assert as_stranger.data["team"] is None and as_stranger.error_codes == ["NOT_FOUND"]


async def test_another_organizations_team_is_not_found(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    member = await a_person("member@example.test", password_hash)
    team = await a_team(api, owner, world)
    await join(team, member)
    seen = await api.as_(world.outsider).execute(TEAM, {"id": team})
    assert seen.data["team"] is None and seen.error_codes == ["NOT_FOUND"]
    removed = await api.as_(world.outsider).execute(
        MEMBER_REMOVE, {"team": team, "user": user_gid(member)}
    )
    assert removed.payload_codes("teamMemberRemove") == ["NOT_FOUND"]
    assert await TeamMember.filter(user=member.user).exists()
