"""Team billing (issue 16), walked through with the seats' clock set to given days: one
aligned cycle and one invoice per team and period, mid-cycle seats prorated on their own
invoice, a trial paid after it ends, failed charges and recovery, two teams on one bill."""

from __future__ import annotations

import pytest

from models.audit import AuditEvent
from models.billing import Invoice, InvoiceStatus, Payment
from models.messaging import OutboxMessage
from models.team_billing import TeamCharge
from models.teams import Seat
from tests.teams.billing_flows import (
    GROUP,
    UPDATE,
    add_paid_member,
    billing_of,
    run_billing,
    run_jobs,
    set_up_billing,
    team_paying,
)
from tests.teams.flows import (
    LEAVE,
    MY_SEAT,
    SEAT_CANCEL,
    SUBSCRIBE,
    TRIAL_START,
    a_person,
    user_gid,
    with_seat,
)


async def charge_fails_for_good(settings, billing_clock, provider) -> None:
    """The team's card is declined on Jan 5 and at each retry (Jan 6, 9, 14): its seats
    keep access until Jan 21, the end of the grace period."""
    provider.decline = True
    await run_billing(settings)
    for day in (6, 9, 14):
        billing_clock.set(2027, 1, day, 13)
        await run_billing(settings)


def _taxed(amount: int) -> int:
    """GST 5 % and QST 9.975 %, each rounded half up on the line."""
    from resolvers.billing.money import line_taxes

    return amount + sum(line_taxes(amount, ["GST", "QST"]).values())


async def test_anchored_on_the_5th_a_seat_added_on_the_20th_then_one_invoice_for_all(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, [first] = await team_paying(api, world, password_hash)
    billing = await set_up_billing(api, owner, team)
    assert billing == {
        "interval": "MONTHLY",
        "anchorDate": "2027-01-05",
        "paymentMethod": "tok_visa",
    }
    upcoming = (await billing_of(api, owner, team))["upcomingInvoice"]
    assert upcoming["date"] == "2027-01-05"
    assert upcoming["subtotal"]["amount"] == 4900

    await run_billing(settings)  # the 5th: the first regular invoice
    [regular] = (await billing_of(api, owner, team))["invoices"]
    assert (regular["kind"], regular["status"], regular["chargeStatus"]) == (
        "RENEWAL",
        "PAID",
        "PAID",
    )
    assert regular["total"]["amount"] == _taxed(4900)
    assert (regular["periodStart"], regular["periodEnd"]) == ("2027-01-05", "2027-02-05")

    billing_clock.set(2027, 1, 20)
    await add_paid_member(api, owner, team, "second@example.test", password_hash)
    await run_billing(settings)
    await run_billing(settings)  # run twice: nothing more
    invoices = (await billing_of(api, owner, team))["invoices"]
    assert [i["kind"] for i in invoices] == ["PRORATION", "RENEWAL"]
    prorated = invoices[0]
    # Jan 20 to Feb 5: 16 of the period's 31 days, 4900 × 16 / 31 = 2529.03 → 2529.
    [line] = prorated["sections"][0]["lines"]
    assert line["amount"]["amount"] == 2529
    assert "prorated 2027-01-20 to 2027-02-04" in line["description"]
    assert prorated["total"]["amount"] == _taxed(2529)
    assert prorated["chargeStatus"] == "PAID"

    upcoming = (await billing_of(api, owner, team))["upcomingInvoice"]
    assert (upcoming["date"], upcoming["subtotal"]["amount"]) == ("2027-02-05", 2 * 4900)

    billing_clock.set(2027, 2, 5)
    await run_billing(settings)
    await run_billing(settings)
    invoices = (await billing_of(api, owner, team))["invoices"]
    assert [i["kind"] for i in invoices] == ["RENEWAL", "PRORATION", "RENEWAL"]
    renewal = invoices[0]
    assert len(renewal["sections"][0]["lines"]) == 2  # one invoice for both seats
    assert renewal["total"]["amount"] == 2 * _taxed(4900)
    # One charge per invoice, each under its own key, and one payment each.
    assert len(provider.charges) == 3
    assert await Payment.all().count() == 3
    assert await Invoice.filter(status=InvoiceStatus.PAID).count() == 3
    assert await AuditEvent.filter(action="team.billing.renewal").count() == 2
    assert await AuditEvent.filter(action="team.billing.proration").count() == 1


async def test_annual_cycle_prorates_by_days_of_the_year(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, _ = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team, interval="ANNUAL")
    await run_billing(settings)
    billing_clock.set(2027, 7, 5)
    await add_paid_member(api, owner, team, "mid@example.test", password_hash, "ESSENTIALS")
    await run_billing(settings)
    prorated, regular = (await billing_of(api, owner, team))["invoices"]
    assert (regular["periodStart"], regular["periodEnd"]) == ("2027-01-05", "2028-01-05")
    assert regular["sections"][0]["subtotal"]["amount"] == 49000
    # Jul 5 2027 to Jan 5 2028: 184 of 365 days of 29000 = 14619.18 → 14619.
    assert prorated["sections"][0]["subtotal"]["amount"] == 14619
    billing_clock.set(2028, 1, 5)
    await run_billing(settings)
    renewal = (await billing_of(api, owner, team))["invoices"][0]
    assert (renewal["periodStart"], renewal["sections"][0]["subtotal"]["amount"]) == (
        "2028-01-05",
        49000 + 29000,
    )


async def test_anchored_on_the_31st_february_bills_on_its_last_day(
    api, world, password_hash, settings, billing_clock, provider
):
    billing_clock.set(2028, 1, 31)
    owner, team, _ = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team, anchor="2028-01-31")
    await run_billing(settings)
    assert (await billing_of(api, owner, team))["upcomingInvoice"]["date"] == "2028-02-29"
    billing_clock.set(2028, 2, 28)  # not yet: 2028 is a leap year
    await run_billing(settings)
    assert len((await billing_of(api, owner, team))["invoices"]) == 1
    billing_clock.set(2028, 2, 29)
    await run_billing(settings)
    billing_clock.set(2028, 3, 30)
    await run_billing(settings)
    invoices = (await billing_of(api, owner, team))["invoices"]
    assert [(i["periodStart"], i["periodEnd"]) for i in invoices] == [
        ("2028-02-29", "2028-03-31"),
        ("2028-01-31", "2028-02-29"),
    ]
    billing_clock.set(2028, 3, 31)  # back on the 31st, not pulled to the 29th
    await run_billing(settings)
    assert (await billing_of(api, owner, team))["invoices"][0]["periodStart"] == "2028-03-31"


async def test_a_trial_paid_after_it_ends_is_prorated_from_its_end(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, _ = await team_paying(api, world, password_hash, n=0)
    await set_up_billing(api, owner, team)
    billing_clock.set(2027, 1, 10)
    member = await a_person("trial@example.test", password_hash)
    await with_seat(api, member, world, TRIAL_START)  # ends Jan 24
    from models.teams import TeamMember, TeamMemberStatus
    from schema import ids

    await TeamMember.create(
        team_id=ids.decode(team)[1], user=member.user, status=TeamMemberStatus.ACTIVE
    )
    from tests.teams.flows import SEAT_PAY

    variables = {"team": team, "user": user_gid(member), "payment": "PAY_AFTER_TRIAL"}
    (await api.as_(owner).execute(SEAT_PAY, variables)).ok("teamSeatPay")
    await run_billing(settings)
    # Nobody paid on the 5th: no invoice; the trial costs the team nothing yet.
    assert (await billing_of(api, owner, team))["invoices"] == []
    billing_clock.set(2027, 1, 24)
    await run_billing(settings)
    prorated = (await billing_of(api, owner, team))["invoices"][0]
    # Jan 24 to Feb 5: 12 of 31 days of 4900 = 1896.77 → 1897.
    assert (prorated["kind"], prorated["sections"][0]["subtotal"]["amount"]) == (
        "PRORATION",
        1897,
    )


async def test_a_failed_charge_is_retried_then_access_ends_after_the_grace_period(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, [member] = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    provider.decline = True
    await run_billing(settings)
    page = await billing_of(api, owner, team)
    [invoice] = page["invoices"]
    assert (invoice["status"], invoice["chargeStatus"], invoice["attempts"]) == (
        "OPEN",
        "PENDING",
        1,
    )
    assert invoice["nextAttemptAt"].startswith("2027-01-06")  # retried after 1, 3, 5 days
    assert page["pastDueSince"] is not None
    mails = await OutboxMessage.filter(
        template="team_charge_failed", recipient="owner@example.test"
    )
    assert len(mails) == 1
    await run_billing(settings)  # not due yet: no new try
    assert (await billing_of(api, owner, team))["invoices"][0]["attempts"] == 1

    for day in (6, 9, 14):
        billing_clock.set(2027, 1, day, 13)
        await run_billing(settings)
    page = await billing_of(api, owner, team)
    [invoice] = page["invoices"]
    assert (invoice["chargeStatus"], invoice["attempts"]) == ("FAILED", 4)
    assert page["accessEndsAt"].startswith("2027-01-21")  # 7 days of grace
    seat = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert seat["hasAccess"] is True  # within the grace period
    billing_clock.set(2027, 1, 22)
    seat = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert seat["hasAccess"] is False
    assert await AuditEvent.filter(action="team.billing.charge_failed").count() == 4
    assert await OutboxMessage.filter(template="team_charge_failed").count() == 4

    # Recovery: a new card, and the next run pays the invoice and gives access back.
    provider.decline = False
    await set_up_billing(api, owner, team, method="tok_mastercard")
    await run_billing(settings)
    page = await billing_of(api, owner, team)
    [invoice] = page["invoices"]
    assert (invoice["status"], invoice["chargeStatus"], invoice["amountDue"]["amount"]) == (
        "PAID",
        "PAID",
        0,
    )
    assert (page["pastDueSince"], page["accessEndsAt"]) == (None, None)
    seat = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert seat["hasAccess"] is True
    assert await AuditEvent.filter(action="team.billing.recovered").count() == 1
    assert await Payment.all().count() == 1


@pytest.mark.parametrize(
    "leaving, pays_then",
    [("teamSeatCancel", "seatSubscribe"), ("teamLeave", "seatTrialStart")],
)
async def test_a_seat_the_team_stops_paying_keeps_no_access_end_from_its_failed_charge(
    api, world, password_hash, settings, billing_clock, provider, leaving, pays_then
):
    """The team's failed charge set the seat's access end; once the team no longer pays it
    (the owner cancels it, or the member leaves), the member's own seat must not lose access
    on that date: the team's recovery would never reach it again."""
    owner, team, [member] = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await charge_fails_for_good(settings, billing_clock, provider)
    assert (await billing_of(api, owner, team))["accessEndsAt"].startswith("2027-01-21")

    billing_clock.set(2027, 1, 15)
    if leaving == "teamSeatCancel":
        variables = {"team": team, "user": user_gid(member)}
        (await api.as_(owner).execute(SEAT_CANCEL, variables)).ok(leaving)
    else:
        (await api.as_(member).execute(LEAVE, {"team": team})).ok(leaving)
    mutation = {"seatSubscribe": SUBSCRIBE, "seatTrialStart": TRIAL_START}[pays_then]
    variables = {"o": world.org_gid, "t": "UNLIMITED"}
    (await api.as_(member).execute(mutation, variables)).ok(pays_then)

    billing_clock.set(2027, 1, 22)  # past the team's access end
    seat = (await api.as_(member).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
    assert (seat["paidBy"], seat["payingTeam"], seat["hasAccess"]) == ("SELF", None, True)


async def test_a_seat_the_team_starts_paying_while_past_due_shares_its_access_end(
    api, world, password_hash, settings, billing_clock, provider
):
    """A team whose charge failed for good pays one more seat during its grace period: that
    seat loses access with the others when the grace ends, and gets it back with them."""
    owner, team, [member] = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await charge_fails_for_good(settings, billing_clock, provider)
    billing_clock.set(2027, 1, 15)
    newcomer = await add_paid_member(api, owner, team, "late@example.test", password_hash)
    [paid] = [
        event.after
        for event in await AuditEvent.filter(action="seat.team_pay")
        if event.after["user_id"] == newcomer.user.id
    ]
    assert paid["billing_access_ends_at"].startswith("2027-01-21")

    billing_clock.set(2027, 1, 22)  # past the team's access end
    for person in (member, newcomer):
        seat = (await api.as_(person).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
        assert (seat["paidBy"], seat["hasAccess"]) == ("TEAM", False), person.user.email
    provider.decline = False
    await set_up_billing(api, owner, team, method="tok_mastercard")
    await run_billing(settings)
    for person in (member, newcomer):
        seat = (await api.as_(person).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
        assert seat["hasAccess"] is True, person.user.email


async def test_a_team_put_on_a_past_due_bill_shares_its_access_end(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, north, [member] = await team_paying(api, world, password_hash)
    other, south, [southern] = await team_paying(
        api, world, password_hash, "owner2@example.test", 1, "Clinique Sud"
    )
    await set_up_billing(api, owner, north)
    await charge_fails_for_good(settings, billing_clock, provider)
    billing_clock.set(2027, 1, 15)
    await set_up_billing(api, other, south, anchor="2027-01-20")
    grouped = await api.as_(world.billing_admin).execute(GROUP, {"team": south, "into": north})
    grouped.ok("teamBillingGroup")

    billing_clock.set(2027, 1, 22)  # past north's access end
    for person in (member, southern):
        seat = (await api.as_(person).execute(MY_SEAT, {"o": world.org_gid})).data["mySeat"]
        assert seat["hasAccess"] is False, person.user.email


async def test_two_teams_on_one_bill_one_charge_one_invoice_a_section_each(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, north, _ = await team_paying(api, world, password_hash, n=2)
    other, south, _ = await team_paying(
        api, world, password_hash, "owner2@example.test", 1, "Clinique Sud"
    )
    await set_up_billing(api, owner, north)
    await set_up_billing(api, other, south, anchor="2027-01-20")
    refused = await api.as_(other).execute(GROUP, {"team": south, "into": north})
    # billing.write only: to anyone else the team is not there.
    assert refused.payload_codes("teamBillingGroup") == ["NOT_FOUND"]
    grouped = await api.as_(world.billing_admin).execute(GROUP, {"team": south, "into": north})
    assert grouped.ok("teamBillingGroup")["billing"]["teams"] == ["Clinique Nord", "Clinique Sud"]
    await run_billing(settings)
    [bill] = (await billing_of(api, world.billing_admin, north))["invoices"]
    assert [(s["teamName"], s["subtotal"]["amount"]) for s in bill["sections"]] == [
        ("Clinique Nord", 2 * 4900),
        ("Clinique Sud", 4900),
    ]
    assert bill["total"]["amount"] == 3 * _taxed(4900)
    assert len(provider.charges) == 1
    # The other team's page shows the same bill.
    assert (await billing_of(api, other, south))["invoices"][0]["id"] == bill["id"]
    assert await TeamCharge.all().count() == 1


async def test_billing_is_for_the_owner_and_billing_staff_only(
    api, world, password_hash, billing_clock
):
    owner, team, [member] = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    assert (await billing_of(api, world.billing_admin, team))["paymentMethod"] == "tok_visa"
    assert (await billing_of(api, world.admin, team))["interval"] == "MONTHLY"  # billing.read
    hidden = await api.as_(member).execute(
        "query($id: ID!) { team(id: $id) { name billing { interval } } }", {"id": team}
    )
    assert hidden.data["team"] == {"name": "Clinique Nord", "billing": None}
    assert hidden.error_codes == ["NOT_FOUND"]  # a member is not told more
    refused = await api.as_(member).execute(
        UPDATE, {"input": {"teamId": team, "paymentMethod": "tok_mine"}}
    )
    assert refused.payload_codes("teamBillingUpdate") == ["NOT_FOUND"]
    outsider = await api.as_(world.outsider).execute(
        UPDATE, {"input": {"teamId": team, "paymentMethod": "tok_mine"}}
    )
    assert outsider.payload_codes("teamBillingUpdate") == ["NOT_FOUND"]
    assert (await Seat.get(user=member.user)).billing_access_ends_at is None


async def test_bad_billing_input_is_refused_with_nothing_written(
    api, world, password_hash, billing_clock, settings, provider
):
    owner, team, _ = await team_paying(api, world, password_hash)
    past = await (
        api.as_(owner)
        .with_headers(**{"accept-language": "fr"})
        .execute(UPDATE, {"input": {"teamId": team, "anchorDate": "2027-01-04"}})
    )
    [error] = past.payload("teamBillingUpdate")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "anchorDate"])
    assert "date" in error["message"] and "Choisissez" in error["message"]
    card = await api.as_(owner).execute(
        UPDATE, {"input": {"teamId": team, "paymentMethod": "4242 4242 4242 4242"}}
    )
    assert card.payload_codes("teamBillingUpdate") == ["INVALID"]
    assert (await billing_of(api, owner, team)) is None
    await set_up_billing(api, owner, team)
    await run_billing(settings)
    fixed = await api.as_(owner).execute(UPDATE, {"input": {"teamId": team, "interval": "ANNUAL"}})
    assert fixed.payload_codes("teamBillingUpdate") == ["INVALID"]
    assert (await billing_of(api, owner, team))["interval"] == "MONTHLY"


TYPE_CHANGE = """mutation($team: ID!, $user: ID!, $type: SeatType!) {
  teamSeatTypeChange(input: {teamId: $team, userId: $user, seatType: $type}) {
    seat { seatType paidBy } errors { code field message } } }"""


async def test_an_upgrade_is_charged_at_once_a_downgrade_credited_on_the_next_renewal(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, [member] = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await run_billing(settings)
    variables = {"team": team, "user": user_gid(member), "type": "ESSENTIALS"}
    billing_clock.set(2027, 1, 12)
    down = await api.as_(owner).execute(TYPE_CHANGE, variables)
    assert down.ok("teamSeatTypeChange")["seat"] == {"seatType": "ESSENTIALS", "paidBy": "TEAM"}
    await run_jobs(settings)  # the account's job the change queued (no cron)
    assert len((await billing_of(api, owner, team))["invoices"]) == 1  # nothing charged now
    billing_clock.set(2027, 1, 20)
    up = await api.as_(owner).execute(TYPE_CHANGE, {**variables, "type": "UNLIMITED"})
    assert up.ok("teamSeatTypeChange")["seat"]["seatType"] == "UNLIMITED"
    await run_jobs(settings)
    # Credited as Essentials from the 12th, so back to Unlimited is charged from the 20th:
    # 16 of 31 days of (4900 - 2900): 2529 - 1497 = 1032.
    invoices = (await billing_of(api, owner, team))["invoices"]
    assert [i["kind"] for i in invoices] == ["PRORATION", "RENEWAL"]
    assert invoices[0]["sections"][0]["subtotal"]["amount"] == 1032
    billing_clock.set(2027, 2, 5)
    await api.as_(owner).execute(TYPE_CHANGE, variables)  # down again, before the renewal
    await run_billing(settings)
    renewal = (await billing_of(api, owner, team))["invoices"][0]
    # Billed as Essentials, less the credit of the 12th: 24 of 31 days, 3794 - 2245 = 1549.
    [seat, credit] = renewal["sections"][0]["lines"]
    assert (seat["amount"]["amount"], credit["amount"]["amount"]) == (2900, -1549)
    assert renewal["sections"][0]["subtotal"]["amount"] == 2900 - 1549
    billing_clock.set(2027, 2, 20)
    up = await api.as_(owner).execute(TYPE_CHANGE, {**variables, "type": "UNLIMITED"})
    await run_jobs(settings)
    upgrade = (await billing_of(api, owner, team))["invoices"][0]
    # Feb 20 to Mar 5: 13 of 28 days of (4900 - 2900): 2275 - 1346 = 929.
    assert (upgrade["kind"], upgrade["chargeStatus"]) == ("PRORATION", "PAID")
    assert upgrade["sections"][0]["subtotal"]["amount"] == 929
    other = await api.as_(owner).execute(
        TYPE_CHANGE, {**variables, "user": user_gid(owner), "type": "UNLIMITED"}
    )
    assert other.payload_codes("teamSeatTypeChange") == ["INVALID"]  # the team pays no such seat


async def test_a_downgrade_on_the_20th_is_credited_once_on_the_next_5th(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, [member] = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await run_billing(settings)  # the 5th: billed as Unlimited, 4900
    billing_clock.set(2027, 1, 20)
    variables = {"team": team, "user": user_gid(member), "type": "ESSENTIALS"}
    (await api.as_(owner).execute(TYPE_CHANGE, variables)).ok("teamSeatTypeChange")
    await run_billing(settings)
    await run_billing(settings)  # run twice: one credit
    billing = await billing_of(api, owner, team)
    assert len(billing["invoices"]) == 1  # no invoice and no charge for a downgrade
    # Jan 20 to Feb 5: 16 of 31 days of (2900 - 4900): 1497 - 2529 = -1032.
    upcoming = billing["upcomingInvoice"]
    assert upcoming["date"] == "2027-02-05"
    assert [line["amount"]["amount"] for line in upcoming["lines"]] == [2900, -1032]
    assert "credit, seat changed to Essentials" in upcoming["lines"][1]["description"]
    assert "(2027-01-20 to 2027-02-04)" in upcoming["lines"][1]["description"]
    assert upcoming["subtotal"]["amount"] == 2900 - 1032
    assert upcoming["amount"]["amount"] == _taxed(2900) - _taxed(1032)

    billing_clock.set(2027, 2, 5)
    await run_billing(settings)
    await run_billing(settings)  # the renewal run twice: credited once
    invoices = (await billing_of(api, owner, team))["invoices"]
    assert [i["kind"] for i in invoices] == ["RENEWAL", "RENEWAL"]
    renewal = invoices[0]
    [section] = renewal["sections"]
    assert [line["amount"]["amount"] for line in section["lines"]] == [2900, -1032]
    assert section["subtotal"]["amount"] == 1868
    assert renewal["total"]["amount"] == _taxed(2900) - _taxed(1032)
    assert renewal["chargeStatus"] == "PAID"
    invoice = await Invoice.get(number=renewal["number"])
    assert invoice.subtotal == 1868 and invoice.status is InvoiceStatus.PAID
    paid = await Payment.filter(invoice_id=invoice.id).values_list("amount", flat=True)
    assert paid == [invoice.total]  # the card charged the net amount
    assert await AuditEvent.filter(action="team.billing.credit").count() == 1

    # Carried once: the next renewal bills Essentials alone.
    upcoming = (await billing_of(api, owner, team))["upcomingInvoice"]
    assert (upcoming["date"], upcoming["subtotal"]["amount"]) == ("2027-03-05", 2900)
    billing_clock.set(2027, 3, 5)
    await run_billing(settings)
    renewal = (await billing_of(api, owner, team))["invoices"][0]
    assert renewal["sections"][0]["subtotal"]["amount"] == 2900
    assert len(provider.charges) == 3
