"""Team billing's jobs (issue 16): a seat the team starts paying mid-cycle is invoiced and
charged by the account's `bill_team` job queued by teamSeatPay, not at the next hourly
cron; the cron queues one job per billing account, so one failing account holds no other."""

from __future__ import annotations

from datetime import timedelta

from jobs.teams import bill_teams
from models.audit import AuditEvent
from models.billing import Invoice, InvoiceStatus
from models.messaging import OutboxMessage
from models.tasks import Task, TaskStatus
from models.team_billing import TeamBillingAccount, TeamCharge, TeamChargeStatus
from models.teams import TeamMember, TeamMemberStatus
from resolvers.billing import payments
from resolvers.common.time import now
from resolvers.teams import billing_runs
from resolvers.teams.billing import BILL_TEAM
from schema import ids
from tests.teams.billing_flows import (
    add_paid_member,
    billing_of,
    run_billing,
    run_jobs,
    set_up_billing,
    team_paying,
)
from tests.teams.flows import (
    ACCEPT,
    INVITE,
    SEAT_PAY,
    TRIAL_START,
    a_person,
    invitation_links,
    token_of,
    user_gid,
    with_seat,
)


async def test_a_seat_paid_on_the_20th_is_invoiced_and_charged_at_once(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, _ = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await run_billing(settings)  # the 5th: the regular invoice
    billing_clock.set(2027, 1, 20)
    await add_paid_member(api, owner, team, "second@example.test", password_hash)
    # The mutation queued the account's job once its transaction committed.
    [account_id] = await TeamBillingAccount.all().values_list("id", flat=True)
    [task] = await Task.filter(function=BILL_TEAM, status=TaskStatus.PENDING)
    assert task.args == [account_id] and task.enqueued_at is not None

    await run_jobs(settings)
    invoices = (await billing_of(api, owner, team))["invoices"]
    assert [i["kind"] for i in invoices] == ["PRORATION", "RENEWAL"]
    prorated = invoices[0]
    # Jan 20 to Feb 5: 16 of the period's 31 days, 4900 × 16 / 31 = 2529.03 → 2529.
    assert prorated["sections"][0]["subtotal"]["amount"] == 2529
    assert (prorated["status"], prorated["chargeStatus"]) == ("PAID", "PAID")
    assert len(provider.charges) == 2
    await task.refresh_from_db()
    assert task.status is TaskStatus.DONE

    await run_billing(settings)  # the cron after it: nothing more
    assert len((await billing_of(api, owner, team))["invoices"]) == 2
    assert len(provider.charges) == 2


async def test_an_invitation_paid_now_accepted_on_the_20th_is_invoiced_at_once(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, _ = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await run_billing(settings)
    billing_clock.set(2027, 1, 20)
    await a_person("late@example.test", password_hash)
    invited = await api.as_(owner).execute(INVITE, {"team": team, "emails": ["late@example.test"]})
    invited.ok("teamInviteMembers")
    [link] = await invitation_links("late@example.test")
    (await api.execute(ACCEPT, {"input": {"token": token_of(link)}})).ok("teamInvitationAccept")

    await run_jobs(settings)
    prorated, _ = (await billing_of(api, owner, team))["invoices"]
    assert (prorated["kind"], prorated["chargeStatus"]) == ("PRORATION", "PAID")
    assert prorated["sections"][0]["subtotal"]["amount"] == 2529


async def test_a_seat_paid_after_its_trial_or_with_no_billing_set_up_queues_nothing(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, _ = await team_paying(api, world, password_hash)  # no billing set up yet
    assert not await Task.filter(function=BILL_TEAM).exists()
    await set_up_billing(api, owner, team)  # the account's first job: the regular invoice
    await run_jobs(settings)
    assert len((await billing_of(api, owner, team))["invoices"]) == 1
    member = await a_person("trial@example.test", password_hash)
    await with_seat(api, member, world, TRIAL_START)
    await TeamMember.create(
        team_id=ids.decode(team)[1], user=member.user, status=TeamMemberStatus.ACTIVE
    )
    variables = {"team": team, "user": user_gid(member), "payment": "PAY_AFTER_TRIAL"}
    (await api.as_(owner).execute(SEAT_PAY, variables)).ok("teamSeatPay")
    # Billed from the trial's end, by the cron of that day.
    assert not await Task.filter(function=BILL_TEAM, status=TaskStatus.PENDING).exists()


async def test_the_cron_queues_one_job_per_account_and_a_failing_one_holds_no_other(
    api, world, password_hash, settings, billing_clock, provider, monkeypatch
):
    owner, north, _ = await team_paying(api, world, password_hash)
    other, south, _ = await team_paying(
        api, world, password_hash, "owner2@example.test", 1, "Clinique Sud"
    )
    await set_up_billing(api, owner, north, anchor="2027-01-06")
    await set_up_billing(api, other, south, anchor="2027-01-06")
    await run_jobs(settings)  # the set-up's jobs: nothing due yet
    billing_clock.set(2027, 1, 6)
    north_id, south_id = await TeamBillingAccount.all().order_by("id").values_list(
        "id", flat=True
    )
    assert await bill_teams({"settings": settings}) == 2
    assert await bill_teams({"settings": settings}) == 0  # each already has one to run

    real_bill = billing_runs.bill

    async def north_fails(billing_id, *args, **kwargs):
        if billing_id == north_id:
            raise ConnectionError("the provider is unreachable")
        return await real_bill(billing_id, *args, **kwargs)

    monkeypatch.setattr(billing_runs, "bill", north_fails)
    once = settings.model_copy(update={"job_max_tries": 1})  # given up at once, no delay
    await run_jobs(once)
    south_page = await billing_of(api, other, south)
    [invoice] = south_page["invoices"]
    assert invoice["chargeStatus"] == "PAID"
    assert (await billing_of(api, owner, north))["invoices"] == []
    failed = Task.filter(function=BILL_TEAM, status=TaskStatus.FAILED)
    assert await failed.values_list("args", flat=True) == [[north_id]]

    monkeypatch.setattr(billing_runs, "bill", real_bill)
    await run_billing(settings)  # the next hour's cron queues it again
    [invoice] = (await billing_of(api, owner, north))["invoices"]
    assert invoice["chargeStatus"] == "PAID"
    assert await Invoice.filter(status=InvoiceStatus.PAID).count() == 2


async def test_a_charge_another_run_paid_meanwhile_is_paid_not_declined(
    api, world, password_hash, settings, billing_clock, provider, monkeypatch
):
    """Two jobs of one account at once (the cron's and a seat's): both find the charge due,
    the first pays it; the second, refused by the ledger (nothing left due), marks it paid
    instead of counting a decline and mailing the owner."""
    owner, team, _ = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    real_charge = payments.charge

    async def the_other_run_first(*args, **kwargs):
        await real_charge(*args, **kwargs)
        return await real_charge(*args, **kwargs)

    monkeypatch.setattr(payments, "charge", the_other_run_first)
    await run_billing(settings)
    [charge] = await TeamCharge.all()
    assert (charge.status, charge.attempts, charge.last_error) == (TeamChargeStatus.PAID, 0, "")
    assert len(provider.charges) == 1
    assert not await AuditEvent.filter(action="team.billing.charge_failed").exists()
    assert not await OutboxMessage.filter(template="team_charge_failed").exists()
    assert (await billing_of(api, owner, team))["pastDueSince"] is None


async def test_the_cron_deletes_its_finished_tasks_of_more_than_a_day_ago(settings):
    moment = now()

    async def task(function, status, age):
        return await Task.create(
            function=function, args=[1], status=status, finished_at=moment - age
        )

    old = await task(BILL_TEAM, TaskStatus.DONE, timedelta(days=2))
    recent = await task(BILL_TEAM, TaskStatus.DONE, timedelta(hours=2))
    failed = await task(BILL_TEAM, TaskStatus.FAILED, timedelta(days=2))
    other = await task("send_email", TaskStatus.DONE, timedelta(days=2))
    await bill_teams({"settings": settings})
    kept = set(await Task.all().values_list("id", flat=True))
    assert old.id not in kept
    assert {recent.id, failed.id, other.id} <= kept
