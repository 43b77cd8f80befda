"""Seat self-service: trial, subscribe, cancel, type change, and what access means."""

from models.audit import AuditEvent
from models.contacts import Contact, ContactSource
from models.teams import Seat
from tests.teams.flows import (
    CANCEL,
    MY_SEAT,
    SUBSCRIBE,
    TRIAL_START,
    TYPE_CHANGE,
    a_person,
)


async def test_a_trial_gives_access_until_it_ends(api, world, password_hash, seat_clock):
    vet = await a_person("vet@example.test", password_hash)
    started = await api.as_(vet).execute(TRIAL_START, {"o": world.org_gid, "t": "UNLIMITED"})
    seat = started.ok("seatTrialStart")["seat"]
    assert (seat["status"], seat["paidBy"], seat["hasAccess"]) == ("TRIAL", "SELF", True)
    assert seat["accessEndsAt"] == seat["trialEndsAt"]
    seat_clock.advance(days=15)
    mine = (await api.as_(vet).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert (mine["status"], mine["hasAccess"]) == ("TRIAL", False)
    again = await api.as_(vet).execute(TRIAL_START, {"o": world.org_gid, "t": "ESSENTIALS"})
    assert again.payload_codes("seatTrialStart") == ["TRIAL_ALREADY_USED"]


async def test_a_seat_change_is_audited_and_puts_the_person_in_the_address_book(
    api, world, password_hash
):
    vet = await a_person("vet@example.test", password_hash)
    (await api.as_(vet).execute(SUBSCRIBE, {"o": world.org_gid, "t": "ESSENTIALS"})).ok(
        "seatSubscribe"
    )
    contact = await Contact.get(organization=world.organization, email="vet@example.test")
    assert contact.source is ContactSource.TEAM
    assert await AuditEvent.filter(action="seat.subscribe").count() == 1


async def test_cancelling_a_paid_seat_ends_access_at_once(api, world, password_hash):
    vet = await a_person("vet@example.test", password_hash)
    await api.as_(vet).execute(SUBSCRIBE, {"o": world.org_gid, "t": "UNLIMITED"})
    canceled = (await api.as_(vet).execute(CANCEL, {"o": world.org_gid})).ok("seatCancel")
    assert (canceled["seat"]["status"], canceled["seat"]["hasAccess"]) == ("CANCELED", False)
    twice = await api.as_(vet).execute(CANCEL, {"o": world.org_gid})
    assert twice.payload_codes("seatCancel") == ["ALREADY_CANCELED"]
    assert await AuditEvent.filter(action="seat.cancel").count() == 1


async def test_cancelling_a_trial_keeps_access_until_it_ends(api, world, password_hash, seat_clock):
    vet = await a_person("vet@example.test", password_hash)
    await api.as_(vet).execute(TRIAL_START, {"o": world.org_gid, "t": "UNLIMITED"})
    seat_clock.advance(days=3)
    seat = (await api.as_(vet).execute(CANCEL, {"o": world.org_gid})).ok("seatCancel")["seat"]
    assert (seat["status"], seat["hasAccess"]) == ("CANCELED", True)
    assert seat["accessEndsAt"] == seat["trialEndsAt"]
    seat_clock.advance(days=12)
    mine = (await api.as_(vet).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert mine["hasAccess"] is False


async def test_support_is_free_and_always_available(api, world, password_hash):
    manager = await a_person("manager@example.test", password_hash)
    no_trial = await api.as_(manager).execute(TRIAL_START, {"o": world.org_gid, "t": "SUPPORT"})
    assert no_trial.payload_codes("seatTrialStart") == ["INVALID"]
    refused = await api.as_(manager).execute(TYPE_CHANGE, {"o": world.org_gid, "t": "ESSENTIALS"})
    assert refused.payload_codes("seatTypeChange") == ["SEAT_REQUIRED"]
    switched = await api.as_(manager).execute(TYPE_CHANGE, {"o": world.org_gid, "t": "SUPPORT"})
    seat = switched.ok("seatTypeChange")["seat"]
    assert (seat["seatType"], seat["status"], seat["hasAccess"]) == ("SUPPORT", "ACTIVE", True)


async def test_another_organization_id_or_a_wrong_type_is_not_found(api, world, password_hash):
    vet = await a_person("vet@example.test", password_hash)
    wrong = await api.as_(vet).execute(TRIAL_START, {"o": world.loner.gid, "t": "UNLIMITED"})
    assert wrong.payload_codes("seatTrialStart") == ["NOT_FOUND"]
    assert wrong.data["seatTrialStart"]["errors"][0]["field"] == ["input", "organizationId"]
    assert await Seat.all().count() == 0


async def test_mySeat_is_null_without_a_seat_and_french_errors(api, world, password_hash):
    vet = await a_person("vet@example.test", password_hash)
    mine = await api.as_(vet).execute(MY_SEAT, {"o": world.org_gid})
    assert mine.data["mySeat"] is None
    refused = (
        await api.as_(vet)
        .with_headers(**{"Accept-Language": "fr"})
        .execute(CANCEL, {"o": world.org_gid})
    )
    [error] = refused.payload("seatCancel")["errors"]
    assert (error["code"], error["message"]) == (
        "SEAT_REQUIRED",
        "Vous ne détenez aucun siège ici.",
    )
