"""The subscriptions' lifecycle (resolvers/billing/renewals.py), time-controlled: the cron's
`run_due(at)` is called at chosen moments (and a real burst worker runs the cron and the
card charge). Renewals at the period's end at the member's best price then, TRIAL →
ACTIVE, PAST_DUE when the renewal invoice is unpaid at its due date, EXPIRED after the
grace or at the end of a period canceled at its end; `isSubscriber` follows. Running it
again does nothing more; a run killed halfway resumes without doubling anything."""

from datetime import timedelta

import pytest

from carnet.providers.payments import FAKE
from jobs.billing import renew_subscriptions
from models.audit import AuditEvent
from models.billing import Invoice, InvoiceStatus, Payment
from models.catalogue import PlanGroupPrice, Subscription, SubscriptionPeriod
from models.groups import Group, GroupMember
from resolvers.billing import payments, renewals
from resolvers.catalogue.subscriptions import add_months
from resolvers.common.time import now
from tests.catalogue.flows import ERRORS, a_household, a_plan, gid
from tests.support.worker import run_worker

SUB = """id status currentPeriodStart currentPeriodEnd unitAmount cancelAtPeriodEnd dueAt
  endedAt hasPaymentSource dueInvoice { id status total { amount } }"""
SUBSCRIBE = f"""mutation($input: SubscriptionCreateInput!) {{ subscriptionCreate(input: $input) {{
  subscription {{ {SUB} }} {ERRORS} }} }}"""
READ = f"""query($id: ID!) {{ node(id: $id) {{ ... on PlanSubscription {{ {SUB} }} }} }}"""
CANCEL = f"""mutation($id: ID!, $end: Boolean!) {{
  subscriptionCancel(input: {{subscriptionId: $id, atPeriodEnd: $end}}) {{
  subscription {{ {SUB} }} {ERRORS} }} }}"""
SOURCE = f"""mutation($id: ID!, $source: String) {{
  subscriptionPaymentSourceSet(input: {{subscriptionId: $id, paymentSource: $source}}) {{
  subscription {{ {SUB} }} {ERRORS} }} }}"""
PAY = f"""mutation($invoice: ID!, $amount: Int!) {{
  paymentRecord(input: {{invoiceId: $invoice, method: CASH,
    amount: {{amount: $amount, currency: "CAD"}}}}) {{ payment {{ id }} {ERRORS} }} }}"""
SUBSCRIBER = """query($id: ID!) { node(id: $id) { ... on Contact { isSubscriber } } }"""

DAY = timedelta(days=1)


@pytest.fixture
def provider():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


def started_ago(end_in: timedelta):
    """A start whose first monthly period ends `end_in` from now (negative: ended)."""
    return add_months(now() + end_in, -1)


async def _subscribe(api, world, member, plan, start, **extra):
    variables = {
        "input": {
            "memberId": gid("AccountContact", member),
            "planId": gid("Plan", plan),
            "interval": "MONTHLY",
            "startsAt": start.isoformat(),
            **extra,
        }
    }
    result = await api.as_(world.billing_admin).execute(SUBSCRIBE, variables)
    return result.ok("subscriptionCreate")["subscription"]


async def _read(api, world, sid):
    return (await api.as_(world.billing_admin).execute(READ, {"id": sid})).data["node"]


async def _is_subscriber(api, world, member) -> bool:
    contact = gid("Contact", await member.contact)
    return (await api.as_(world.owner).execute(SUBSCRIBER, {"id": contact})).data["node"][
        "isSubscriber"
    ]


async def test_a_trial_becomes_active_at_its_end_at_the_best_price_then_once(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=5000, name="Gold")
    trial = await _subscribe(
        api, world, member, plan, started_ago(-timedelta(hours=1)), status="TRIAL"
    )
    assert trial["status"] == "TRIAL" and trial["dueInvoice"] is None
    # Joining a group with a lower price after subscribing: the renewal charges it.
    seniors = await Group.create(organization=world.organization, name="Seniors")
    await PlanGroupPrice.create(plan=plan, group=seniors, interval="MONTHLY", amount=3500)
    await GroupMember.create(group=seniors, contact_id=member.contact_id)

    at = now()
    assert await renewals.run_due(at) == 1
    renewed = await _read(api, world, trial["id"])
    assert renewed["status"] == "ACTIVE" and renewed["unitAmount"] == 3500
    assert renewed["currentPeriodStart"] == trial["currentPeriodEnd"]
    # 35.00 $ + GST 1.75 $ + QST 3.49 $ (3.491… rounded half up per line).
    assert renewed["dueInvoice"]["status"] == "OPEN"
    assert renewed["dueInvoice"]["total"]["amount"] == 3500 + 175 + 349
    assert await _is_subscriber(api, world, member)

    # Run again (and again, later the same day): nothing more.
    assert await renewals.run_due(at) == 0
    assert await renewals.run_due(at + timedelta(hours=5)) == 0
    assert await Invoice.all().count() == 1
    assert await SubscriptionPeriod.all().count() == 1
    events = await AuditEvent.filter(action="billing.subscription.renew").values_list(
        "after", flat=True
    )
    assert len(events) == 1 and events[0]["group_id"] == seniors.id


async def test_unpaid_renewal_goes_past_due_then_expires_after_the_grace(api, world, settings):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=5000)
    created = await _subscribe(api, world, member, plan, now() - 10 * DAY)
    first_invoice = created["dueInvoice"]["id"]
    # The first period's invoice was due 7 days after the start: 3 days ago.
    at = now()
    assert await renewals.run_due(at) == 1
    read = await _read(api, world, created["id"])
    assert read["status"] == "PAST_DUE" and read["dueInvoice"]["id"] == first_invoice
    # A past-due subscription is not renewed while unpaid; still a subscriber.
    assert await Invoice.all().count() == 1
    assert await _is_subscriber(api, world, member)
    assert await renewals.run_due(at) == 0

    due = (await Subscription.get()).due_at
    grace = timedelta(days=settings.subscription_grace_days)
    assert await renewals.run_due(due + grace - timedelta(seconds=1)) == 0
    assert await renewals.run_due(due + grace) == 1
    ended = await _read(api, world, created["id"])
    assert ended["status"] == "EXPIRED" and ended["endedAt"] is not None
    assert not await _is_subscriber(api, world, member)
    assert await renewals.run_due(due + grace + 40 * DAY) == 0  # expired stays expired
    actions = await AuditEvent.filter(action__startswith="billing.subscription.").values_list(
        "action", flat=True
    )
    assert actions.count("billing.subscription.past_due") == 1
    assert actions.count("billing.subscription.expire.unpaid") == 1


async def test_paying_a_past_due_invoice_reactivates_and_then_it_renews(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=1000)
    created = await _subscribe(api, world, member, plan, now() - 10 * DAY)
    assert await renewals.run_due(now()) == 1
    assert (await _read(api, world, created["id"]))["status"] == "PAST_DUE"
    invoice = created["dueInvoice"]
    paid = await api.as_(world.billing_admin).execute(
        PAY, {"invoice": invoice["id"], "amount": invoice["total"]["amount"]}
    )
    paid.ok("paymentRecord")
    # The next run: ACTIVE again, nothing due; at the period's end it renews.
    assert await renewals.run_due(now()) == 1
    active = await _read(api, world, created["id"])
    assert active["status"] == "ACTIVE" and active["dueInvoice"] is None
    end = (await Subscription.get()).current_period_end
    assert await renewals.run_due(end) == 1
    read = await _read(api, world, created["id"])
    assert read["status"] == "ACTIVE"
    assert read["currentPeriodStart"] == created["currentPeriodEnd"]
    assert read["dueInvoice"]["status"] == "OPEN" and read["dueInvoice"]["id"] != invoice["id"]
    assert await Invoice.all().count() == 2


async def test_cancel_at_period_end_expires_it_then_instead_of_renewing(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization)
    created = await _subscribe(api, world, member, plan, now() - DAY, status="TRIAL")
    staff = api.as_(world.billing_admin)
    canceled = await staff.execute(CANCEL, {"id": created["id"], "end": True})
    body = canceled.ok("subscriptionCancel")["subscription"]
    assert body["status"] == "TRIAL" and body["cancelAtPeriodEnd"] is True
    again = await staff.execute(CANCEL, {"id": created["id"], "end": True})
    assert again.payload_codes("subscriptionCancel") == ["ALREADY_CANCELED"]
    assert await renewals.run_due(now()) == 0  # still within its period
    assert await _is_subscriber(api, world, member)
    end = (await Subscription.get()).current_period_end
    assert await renewals.run_due(end) == 1
    read = await _read(api, world, created["id"])
    assert read["status"] == "EXPIRED" and read["endedAt"] == created["currentPeriodEnd"]
    assert not await _is_subscriber(api, world, member)
    assert await Invoice.all().count() == 0  # never renewed


async def test_the_cron_renews_and_charges_the_card_once_through_the_worker(
    api, world, settings, provider
):
    account, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=2000)
    created = await _subscribe(
        api,
        world,
        member,
        plan,
        started_ago(-timedelta(minutes=5)),
        status="TRIAL",
        paymentSource="tok_visa",
    )
    assert created["hasPaymentSource"] is True
    await run_worker(settings)  # the cron runs at start-up, then the charge job
    await run_worker(settings)  # and again: nothing more
    invoice = await Invoice.get()
    assert invoice.status is InvoiceStatus.PAID and invoice.account_id == account.id
    assert [call[0] for call in provider.calls] == ["charge"]
    assert await Payment.filter(invoice_id=invoice.id).count() == 1
    read = await _read(api, world, created["id"])
    assert read["status"] == "ACTIVE" and read["dueInvoice"] is None
    assert await renew_subscriptions({}) == 0


async def test_a_declined_card_leaves_the_invoice_open(api, world, settings, provider):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=2000)
    created = await _subscribe(
        api,
        world,
        member,
        plan,
        started_ago(-timedelta(minutes=5)),
        status="TRIAL",
        paymentSource="tok_declined",
    )
    provider.decline = True
    await run_worker(settings)
    invoice = await Invoice.get()
    assert invoice.status is InvoiceStatus.OPEN and await Payment.all().count() == 0
    assert (await SubscriptionPeriod.get()).charge_state == "DECLINED"
    read = await _read(api, world, created["id"])
    assert read["status"] == "ACTIVE" and read["dueInvoice"]["id"] == gid("Invoice", invoice)
    assert await AuditEvent.filter(action="billing.subscription.charge_failed").count() == 1


async def test_a_run_killed_halfway_resumes_and_renews_each_once(api, world, monkeypatch):
    subscriptions = []
    for _ in range(3):
        _, _, member = await a_household(world.organization)
        plan = await a_plan(world.organization, monthly=1500)
        subscriptions.append(
            await _subscribe(
                api, world, member, plan, started_ago(-timedelta(minutes=5)), status="TRIAL"
            )
        )
    real = renewals.sales.start_period
    calls = 0

    async def dies_on_the_second(subscription, invoice):
        nonlocal calls
        calls += 1
        if calls == 2:  # after its invoice was made, before the commit
            raise SystemExit("killed")
        return await real(subscription, invoice)

    monkeypatch.setattr(renewals.sales, "start_period", dies_on_the_second)
    with pytest.raises(SystemExit):
        await renewals.run_due(now())
    assert await SubscriptionPeriod.all().count() == 1
    assert await Invoice.all().count() == 1  # the killed step's invoice went with it
    monkeypatch.setattr(renewals.sales, "start_period", real)
    assert await renewals.run_due(now()) == 2
    assert await renewals.run_due(now()) == 0
    assert await SubscriptionPeriod.all().count() == 3
    numbers = sorted(await Invoice.all().values_list("number", flat=True))
    assert numbers == [1, 2, 3]  # gapless: the killed step's number was given back
    assert set(await Subscription.all().values_list("status", flat=True)) == {"ACTIVE"}


async def test_a_charge_killed_after_the_provider_call_charges_once_on_rerun(
    api, world, monkeypatch, provider
):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization, monthly=2000)
    await _subscribe(
        api,
        world,
        member,
        plan,
        started_ago(-timedelta(minutes=5)),
        status="TRIAL",
        paymentSource="tok_visa",
    )
    await renewals.run_due(now())
    period = await SubscriptionPeriod.get()
    assert period.charge_state == "PENDING"
    real = payments._apply

    async def killed(*args, **kwargs):
        raise SystemExit("killed between the provider and the record")

    monkeypatch.setattr(payments, "_apply", killed)
    with pytest.raises(SystemExit):
        await renewals.charge_period(period.id)
    assert await Payment.all().count() == 0 and len(provider.charges) == 1
    monkeypatch.setattr(payments, "_apply", real)
    await renewals.charge_period(period.id)
    await renewals.charge_period(period.id)
    assert await Payment.all().count() == 1
    assert len(provider.charges) == 1  # the same key: one charge at the provider
    assert (await Invoice.get()).status is InvoiceStatus.PAID
    assert (await SubscriptionPeriod.get()).charge_state == "PAID"


async def test_payment_source_bad_input_and_other_organizations_ids(api, world):
    _, _, member = await a_household(world.organization)
    plan = await a_plan(world.organization)
    created = await _subscribe(api, world, member, plan, now())
    staff = api.as_(world.billing_admin)
    too_long = await staff.with_headers(**{"accept-language": "fr"}).execute(
        SOURCE, {"id": created["id"], "source": "x" * 201}
    )
    [error] = too_long.payload("subscriptionPaymentSourceSet")["errors"]
    assert error["code"] == "TOO_LONG" and error["field"] == ["input", "paymentSource"]
    assert "200" in error["message"] and "caract" in error["message"]  # in French
    set_ = await staff.execute(SOURCE, {"id": created["id"], "source": "tok_visa"})
    assert set_.ok("subscriptionPaymentSourceSet")["subscription"]["hasPaymentSource"] is True
    cleared = await staff.execute(SOURCE, {"id": created["id"], "source": None})
    assert cleared.ok("subscriptionPaymentSourceSet")["subscription"]["hasPaymentSource"] is False

    _, _, theirs = await a_household(world.other_organization)
    their_plan = await a_plan(world.other_organization)
    their = await Subscription.create(
        organization=world.other_organization,
        plan=their_plan,
        member=theirs,
        contact_id=theirs.contact_id,
        interval="MONTHLY",
        status="ACTIVE",
        current_period_start=now(),
        current_period_end=now() + DAY,
        unit_amount=1,
        currency="CAD",
    )
    foreign = await staff.execute(
        SOURCE, {"id": gid("PlanSubscription", their), "source": "tok_visa"}
    )
    assert foreign.payload_codes("subscriptionPaymentSourceSet") == ["NOT_FOUND"]
    foreign = await staff.execute(CANCEL, {"id": gid("PlanSubscription", their), "end": True})
    assert foreign.payload_codes("subscriptionCancel") == ["NOT_FOUND"]
    their = await Subscription.get(id=their.id)
    assert their.payment_source == "" and not their.cancel_at_period_end


async def test_a_renewal_the_ledger_refuses_does_not_stop_the_others(api, world):
    plans = [await a_plan(world.organization, monthly=1500) for _ in range(2)]
    created = []
    for plan in plans:
        _, _, member = await a_household(world.organization)
        created.append(
            await _subscribe(
                api, world, member, plan, started_ago(-timedelta(minutes=5)), status="TRIAL"
            )
        )
    # The first plan now prices in another currency than the organization's invoices.
    plans[0].currency = "USD"
    await plans[0].save()
    assert await renewals.run_due(now()) == 1
    statuses = [(await _read(api, world, c["id"]))["status"] for c in created]
    assert statuses == ["TRIAL", "ACTIVE"]
    assert await Invoice.all().count() == 1 and await SubscriptionPeriod.all().count() == 1
