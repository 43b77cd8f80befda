"""Who pays a member's seat: the seed's takeover rules, walked through with the seats'
clock moved ahead."""

from models.audit import AuditEvent
from models.teams import Seat, TeamMember, TeamMemberStatus
from schema import ids
from tests.teams.flows import (
    CANCEL,
    INVITE,
    MY_SEAT,
    SEAT_CANCEL,
    SEAT_PAY,
    TRIAL_START,
    a_person,
    a_team,
    user_gid,
    with_seat,
)


async def team_with(api, world, password_hash, member_email="member@example.test"):
    owner = await a_person("owner@example.test", password_hash)
    member = await a_person(member_email, password_hash)
    team = await a_team(api, owner, world)
    await TeamMember.create(
        team_id=ids.decode(team)[1], user=member.user, status=TeamMemberStatus.ACTIVE
    )
    return owner, member, team


async def test_a_self_paying_member_is_taken_over_only_after_cancelling(api, world, password_hash):
    owner, member, team = await team_with(api, world, password_hash)
    await with_seat(api, member, world)
    variables = {"team": team, "user": user_gid(member)}
    refused = await api.as_(owner).execute(SEAT_PAY, variables)
    [error] = refused.payload("teamSeatPay")["errors"]
    assert error["code"] == "SELF_PAYING"
    assert "until they cancel" in error["message"]
    assert (await Seat.get(user=member.user)).paid_by.value == "SELF"
    # Inviting them to be paid for is refused with the same reason.
    invited = await api.as_(owner).execute(
        INVITE, {"team": team, "emails": ["other@example.test", "member@example.test"]}
    )
    assert [(e["code"], e["field"]) for e in invited.payload("teamInviteMembers")["errors"]] == [
        ("ALREADY_EXISTS", ["input", "emails", 1])
    ]

    (await api.as_(member).execute(CANCEL, {"o": world.org_gid})).ok("seatCancel")
    taken = (await api.as_(owner).execute(SEAT_PAY, variables)).ok("teamSeatPay")["seat"]
    assert (taken["paidBy"], taken["status"], taken["hasAccess"]) == ("TEAM", "ACTIVE", True)
    mine = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert mine["payingTeam"] == {"name": "Clinique Nord"}
    # The member cannot cancel what the team pays.
    own_cancel = await api.as_(member).execute(CANCEL, {"o": world.org_gid})
    assert own_cancel.payload_codes("seatCancel") == ["PAID_BY_TEAM"]


async def test_a_trial_is_paid_now_or_after_the_trial(api, world, password_hash, seat_clock):
    owner, member, team = await team_with(api, world, password_hash)
    await with_seat(api, member, world, TRIAL_START)
    variables = {"team": team, "user": user_gid(member), "payment": "PAY_AFTER_TRIAL"}
    later = (await api.as_(owner).execute(SEAT_PAY, variables)).ok("teamSeatPay")["seat"]
    assert (later["status"], later["paidBy"]) == ("TRIAL", "TEAM")
    assert later["teamPaysFrom"] == later["trialEndsAt"]
    seat_clock.advance(days=20)
    mine = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert (mine["status"], mine["hasAccess"]) == ("ACTIVE", True)


async def test_paying_now_for_a_trial_starts_at_once(api, world, password_hash):
    owner, member, team = await team_with(api, world, password_hash)
    await with_seat(api, member, world, TRIAL_START)
    now = (await api.as_(owner).execute(SEAT_PAY, {"team": team, "user": user_gid(member)})).ok(
        "teamSeatPay"
    )["seat"]
    assert (now["status"], now["paidBy"], now["accessEndsAt"]) == ("ACTIVE", "TEAM", None)


async def test_without_a_trial_only_pay_now(api, world, password_hash):
    owner, member, team = await team_with(api, world, password_hash)
    variables = {"team": team, "user": user_gid(member), "payment": "PAY_AFTER_TRIAL"}
    refused = await api.as_(owner).execute(SEAT_PAY, variables)
    assert refused.payload_codes("teamSeatPay") == ["NOT_IN_TRIAL"]
    assert not await Seat.filter(user=member.user).exists()


async def test_cancelling_a_trial_the_team_pays_keeps_access_until_its_end(
    api, world, password_hash, seat_clock
):
    owner, member, team = await team_with(api, world, password_hash)
    await with_seat(api, member, world, TRIAL_START)
    variables = {"team": team, "user": user_gid(member)}
    await api.as_(owner).execute(SEAT_PAY, {**variables, "payment": "PAY_AFTER_TRIAL"})
    seat_clock.advance(days=2)
    canceled = (await api.as_(owner).execute(SEAT_CANCEL, variables)).ok("teamSeatCancel")
    assert (canceled["seat"]["status"], canceled["seat"]["hasAccess"]) == ("CANCELED", True)
    assert canceled["seat"]["accessEndsAt"] == canceled["seat"]["trialEndsAt"]
    seat_clock.advance(days=13)
    mine = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert mine["hasAccess"] is False


async def test_cancelling_a_paid_seat_removes_access_at_once(api, world, password_hash):
    owner, member, team = await team_with(api, world, password_hash)
    variables = {"team": team, "user": user_gid(member)}
    (await api.as_(owner).execute(SEAT_PAY, variables)).ok("teamSeatPay")
    canceled = (await api.as_(owner).execute(SEAT_CANCEL, variables)).ok("teamSeatCancel")
    assert (canceled["seat"]["status"], canceled["seat"]["hasAccess"]) == ("CANCELED", False)
    twice = await api.as_(owner).execute(SEAT_CANCEL, variables)
    assert twice.payload_codes("teamSeatCancel") == ["ALREADY_CANCELED"]
    assert await AuditEvent.filter(action="seat.team_cancel").count() == 1


async def test_at_most_one_team_pays(api, world, password_hash):
    owner, member, team = await team_with(api, world, password_hash)
    (await api.as_(owner).execute(SEAT_PAY, {"team": team, "user": user_gid(member)})).ok(
        "teamSeatPay"
    )
    other_owner = await a_person("other.owner@example.test", password_hash)
    other = await a_team(api, other_owner, world, "Clinique Sud")
    await TeamMember.create(
        team_id=ids.decode(other)[1], user=member.user, status=TeamMemberStatus.ACTIVE
    )
    refused = await api.as_(other_owner).execute(
        SEAT_PAY, {"team": other, "user": user_gid(member)}
    )
    assert refused.payload_codes("teamSeatPay") == ["PAID_BY_TEAM"]
    assert (await Seat.get(user=member.user)).paying_team_id == ids.decode(team)[1]


async def test_removing_a_member_the_team_pays_cancels_the_seat(api, world, password_hash):
    owner, member, team = await team_with(api, world, password_hash)
    variables = {"team": team, "user": user_gid(member)}
    await api.as_(owner).execute(SEAT_PAY, variables)
    await api.as_(owner).execute(
        """mutation($team: ID!, $user: ID!) { teamMemberRemove(input: {teamId: $team,
        userId: $user}) { errors { code } } }""",
        variables,
    )
    seat = await Seat.get(user=member.user)
    assert (seat.status.value, seat.paid_by.value, seat.paying_team_id) == (
        "CANCELED",
        "SELF",
        None,
    )
