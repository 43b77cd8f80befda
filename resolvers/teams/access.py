"""Who is what to a team: TEAM_OWNER and TEAM_MEMBER for the permission directive, and
the tie of team members and seat holders to their organization."""

from __future__ import annotations

from collections.abc import Collection

from models.identity import User
from models.teams import Seat, Team, TeamMember, TeamMemberStatus
from resolvers.common import relationships
from resolvers.common.permissions import Relationship


async def _owns(user: User, team: Team) -> bool:
    return team.owner_id == user.id


async def _is_member(user: User, team: Team) -> bool:
    """An active member (the owner is one too); an invitation grants nothing yet."""
    if team.owner_id == user.id:
        return True
    return await TeamMember.filter(
        team_id=team.id, user_id=user.id, status=TeamMemberStatus.ACTIVE
    ).exists()


async def _tied(organization_id: int, user_ids: Collection[int]) -> set[int]:
    wanted = list(user_ids)
    seat_holders = Seat.filter(organization_id=organization_id, user_id__in=wanted)
    found = set(await seat_holders.values_list("user_id", flat=True))
    members = TeamMember.filter(team__organization_id=organization_id, user_id__in=wanted)
    return found | set(await members.values_list("user_id", flat=True))


def register() -> None:
    if not relationships.checkable(Relationship.TEAM_OWNER, Team):
        relationships.register(Relationship.TEAM_OWNER, Team, _owns)
        relationships.register(Relationship.TEAM_MEMBER, Team, _is_member)
    if "teams" not in relationships.TIES:
        relationships.register_tie("teams", _tied)


register()
