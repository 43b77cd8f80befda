"""Query counts: a team's member list costs the same whatever its size; a batch of
invitations costs a few inserts per invitee, its look-ups done once for the batch."""

from carnet.statements import count_statements
from models.teams import TeamMember, TeamMemberStatus
from schema import ids
from tests.teams.flows import INVITE, TEAM, a_person, a_team


async def add_members(team: str, how_many: int, password_hash: str, start: int = 0) -> None:
    for n in range(start, start + how_many):
        person = await a_person(f"member{n}@example.test", password_hash)
        await TeamMember.create(
            team_id=ids.decode(team)[1], user=person.user, status=TeamMemberStatus.ACTIVE
        )


async def test_the_member_list_is_one_query_per_page(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    await add_members(team, 2, password_hash)
    with count_statements() as few:
        assert not (await api.as_(owner).execute(TEAM, {"id": team})).errors
    await add_members(team, 8, password_hash, start=2)
    with count_statements() as many:
        result = await api.as_(owner).execute(TEAM, {"id": team})
    assert len(result.data["team"]["members"]["edges"]) == 11
    assert len(many) == len(few)


async def test_an_invitation_batch_looks_up_once(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    with count_statements() as one:
        await api.as_(owner).execute(INVITE, {"team": team, "emails": ["a0@example.test"]})
    emails = [f"b{n}@example.test" for n in range(11)]
    with count_statements() as eleven:
        result = await api.as_(owner).execute(INVITE, {"team": team, "emails": emails})
    assert len(result.ok("teamInviteMembers")["members"]) == 11
    per_invitee = (len(eleven) - len(one)) / 10
    # A login, an invitation, a membership, its task and its audit entry (+ savepoints).
    assert per_invitee <= 7, per_invitee
