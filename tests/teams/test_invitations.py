"""Batch invitations: each address checked on its own, mailed by a job once, joined with
the link (a verified login keeps its password), existing users of the organization
picked, and bad batches refused whole."""

from models.audit import AuditEvent
from models.contacts import Contact, ContactSource
from models.identity import User
from models.messaging import OutboxMessage
from models.staff import Invitation, InvitationKind
from models.teams import Seat, TeamMember
from tests.support.worker import run_worker
from tests.teams.flows import (
    ACCEPT,
    INVITE,
    MY_SEAT,
    MY_TEAMS,
    a_person,
    a_team,
    invitation_links,
    token_of,
    user_gid,
)

NEW_PASSWORD = "a long new password"


async def test_a_batch_of_three_existing_unverified_and_new(api, world, password_hash, settings):
    owner = await a_person("owner@example.test", password_hash)
    await a_person("known@example.test", password_hash)
    await a_person("unproven@example.test", password_hash, verified=False)
    team = await a_team(api, owner, world)
    emails = ["Known@Example.test", "unproven@example.test", "new@example.test"]
    invited = await api.as_(owner).execute(
        INVITE, {"team": team, "emails": emails, "type": "ESSENTIALS"}
    )
    members = invited.ok("teamInviteMembers")["members"]
    assert [m["user"]["email"] for m in members] == [e.lower() for e in emails]
    assert {m["status"] for m in members} == {"INVITED"}
    assert await User.filter(email="new@example.test", password_hash="").exists()
    assert await Invitation.filter(kind=InvitationKind.TEAM).count() == 3

    # The known person keeps their login: the link asks no password.
    [known_link] = await invitation_links("known@example.test")
    joined = await api.execute(ACCEPT, {"input": {"token": token_of(known_link)}})
    payload = joined.ok("teamInvitationAccept")
    assert (payload["member"]["status"], payload["team"]["name"]) == ("ACTIVE", "Clinique Nord")
    known = await User.get(email="known@example.test")
    assert known.password_hash == password_hash
    # The invitation paid now, with the batch's seat type.
    seat = await Seat.get(user=known)
    assert (seat.seat_type.value, seat.paid_by.value, seat.status.value) == (
        "ESSENTIALS",
        "TEAM",
        "ACTIVE",
    )

    # Anyone whose address was not proven chooses a password with the link.
    [new_link] = await invitation_links("new@example.test")
    no_password = await api.execute(ACCEPT, {"input": {"token": token_of(new_link)}})
    assert no_password.payload_codes("teamInvitationAccept") == ["REQUIRED"]
    joined = await api.execute(
        ACCEPT,
        {"input": {"token": token_of(new_link), "password": NEW_PASSWORD, "firstName": "Nea"}},
    )
    assert joined.ok("teamInvitationAccept")["user"]["emailVerified"] is True
    contact = await Contact.get(organization=world.organization, email="new@example.test")
    assert contact.source is ContactSource.TEAM
    assert await AuditEvent.filter(action="team.invitation_accept").count() == 2


async def test_the_invitation_job_run_twice_sends_one_email(api, world, password_hash, settings):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    await api.as_(owner).execute(INVITE, {"team": team, "emails": ["new@example.test"]})
    await run_worker(settings)
    await run_worker(settings)
    assert len(await invitation_links("new@example.test")) == 1
    assert (await Invitation.get(email="new@example.test")).send_count == 1


async def test_each_bad_address_is_reported_at_its_index_and_nothing_is_written(
    api, world, password_hash
):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    members_before = await TeamMember.all().count()
    emails = ["ok@example.test", "not an address", "OK@example.test", "owner@example.test"]
    refused = await api.as_(owner).execute(INVITE, {"team": team, "emails": emails})
    errors = refused.payload("teamInviteMembers")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID_EMAIL", ["input", "emails", 1]),
        ("DUPLICATE", ["input", "emails", 2]),
        ("ALREADY_EXISTS", ["input", "emails", 3]),
    ]
    assert await TeamMember.all().count() == members_before
    assert not await User.filter(email="ok@example.test").exists()


async def test_more_than_100_or_none_is_refused(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    emails = [f"p{n}@example.test" for n in range(101)]
    refused = await api.as_(owner).execute(INVITE, {"team": team, "emails": emails})
    assert refused.payload_codes("teamInviteMembers") == ["TOO_MANY"]
    empty = await api.as_(owner).execute(INVITE, {"team": team, "emails": []})
    assert empty.payload_codes("teamInviteMembers") == ["REQUIRED"]
    assert await Invitation.all().count() == 0


async def test_pay_after_trial_needs_a_trial(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    refused = await api.as_(owner).execute(
        INVITE, {"team": team, "emails": ["new@example.test"], "payment": "PAY_AFTER_TRIAL"}
    )
    assert refused.payload_codes("teamInviteMembers") == ["NOT_IN_TRIAL"]


async def test_an_existing_user_of_the_organization_is_picked(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    # Staff are users of the organization; a user known only elsewhere is not found.
    picked = await api.as_(owner).execute(
        INVITE,
        {"team": team, "users": [world.agent.gid, world.loner.gid], "payment": "MEMBER_PAYS"},
    )
    assert [(e["code"], e["field"]) for e in picked.payload("teamInviteMembers")["errors"]] == [
        ("NOT_FOUND", ["input", "userIds", 1])
    ]
    picked = await api.as_(owner).execute(
        INVITE, {"team": team, "users": [world.agent.gid], "payment": "MEMBER_PAYS"}
    )
    [member] = picked.ok("teamInviteMembers")["members"]
    assert member["user"]["email"] == "agent@alpha.test"
    [link] = await invitation_links("agent@alpha.test")
    (await api.execute(ACCEPT, {"input": {"token": token_of(link)}})).ok("teamInvitationAccept")
    joined = (await api.as_(world.agent).execute(MY_TEAMS)).data["teamsJoined"]
    assert joined == [{"name": "Clinique Nord"}]
    # MEMBER_PAYS: the team took nothing over.
    assert (await api.as_(world.agent).execute(MY_SEAT, {"o": world.org_gid})).data[
        "mySeat"
    ] is None


async def test_removing_an_invited_member_kills_the_link(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    await api.as_(owner).execute(INVITE, {"team": team, "emails": ["new@example.test"]})
    [link] = await invitation_links("new@example.test")
    invitee = await User.get(email="new@example.test")
    removed = await api.as_(owner).execute(
        """mutation($team: ID!, $user: ID!) { teamMemberRemove(input: {teamId: $team,
        userId: $user}) { errors { code } } }""",
        {"team": team, "user": user_gid(type("M", (), {"user": invitee}))},
    )
    removed.ok("teamMemberRemove")
    refused = await api.execute(
        ACCEPT, {"input": {"token": token_of(link), "password": NEW_PASSWORD}}
    )
    assert refused.payload_codes("teamInvitationAccept") == ["TOKEN_REVOKED"]
    assert await OutboxMessage.filter(template="team_invitation").count() == 1


async def test_a_self_paying_invitee_can_only_join_paying_for_themselves(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    payer = await a_person("payer@example.test", password_hash)
    team = await a_team(api, owner, world)
    await api.as_(payer).execute(
        """mutation($o: ID!) { seatSubscribe(input: {organizationId: $o, seatType: UNLIMITED})
        { errors { code } } }""",
        {"o": world.org_gid},
    )
    emails = ["new@example.test", "payer@example.test"]
    refused = await api.as_(owner).execute(INVITE, {"team": team, "emails": emails})
    [error] = refused.payload("teamInviteMembers")["errors"]
    assert (error["code"], error["field"]) == ("SELF_PAYING", ["input", "emails", 1])
    assert await Invitation.all().count() == 0
    invited = await api.as_(owner).execute(
        INVITE, {"team": team, "emails": emails, "payment": "MEMBER_PAYS"}
    )
    assert len(invited.ok("teamInviteMembers")["members"]) == 2


RESEND = """mutation($team: ID!, $user: ID!) { teamInvitationResend(input: {teamId: $team,
  userId: $user}) { member { status } errors { code field message } } }"""


async def test_a_resend_mails_a_new_link_and_kills_the_old_one(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    await api.as_(owner).execute(INVITE, {"team": team, "emails": ["new@example.test"]})
    [old] = await invitation_links("new@example.test")
    invitee = await User.get(email="new@example.test")
    variables = {"team": team, "user": user_gid(type("M", (), {"user": invitee}))}
    (await api.as_(owner).execute(RESEND, variables)).ok("teamInvitationResend")
    old_link, new_link = await invitation_links("new@example.test")
    assert old_link == old and new_link != old
    stale = await api.execute(ACCEPT, {"input": {"token": token_of(old), "password": NEW_PASSWORD}})
    assert stale.payload_codes("teamInvitationAccept") == ["TOKEN_REVOKED"]
    joined = await api.execute(
        ACCEPT, {"input": {"token": token_of(new_link), "password": NEW_PASSWORD}}
    )
    joined.ok("teamInvitationAccept")
    again = await api.as_(owner).execute(RESEND, variables)
    assert again.payload_codes("teamInvitationResend") == ["INVALID"]


async def test_one_seat_type_per_batch_is_the_schema_s_rule(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    team = await a_team(api, owner, world)
    mixed = await api.as_(owner).execute(
        """mutation($team: ID!) { teamInviteMembers(input: {teamId: $team,
          emails: ["a@example.test", "b@example.test"], seatType: [UNLIMITED, SUPPORT],
          payment: PAY_NOW}) { errors { code } } }""",
        {"team": team},
    )
    assert mixed.errors and mixed.data is None
    assert await Invitation.all().count() == 0


async def test_refusals_read_in_french(api, world, password_hash):
    owner = await a_person("owner@example.test", password_hash)
    payer = await a_person("payer@example.test", password_hash)
    team = await a_team(api, owner, world)
    await api.as_(payer).execute(
        """mutation($o: ID!) { seatSubscribe(input: {organizationId: $o, seatType: UNLIMITED})
        { errors { code } } }""",
        {"o": world.org_gid},
    )
    refused = (
        await api.as_(owner)
        .with_headers(**{"Accept-Language": "fr"})
        .execute(INVITE, {"team": team, "emails": ["payer@example.test"]})
    )
    [error] = refused.payload("teamInviteMembers")["errors"]
    assert error["code"] == "SELF_PAYING"
    assert error["message"].startswith("Cette personne paie elle-même son siège")
