"""Query counts (issue 16): a team's billing page costs the same whatever the number of
its invoices, sections and seats."""

from carnet.statements import count_statements
from tests.teams.billing_flows import (
    BILLING,
    add_paid_member,
    run_billing,
    set_up_billing,
    team_paying,
)


async def test_the_billing_page_costs_the_same_for_one_invoice_or_many(
    api, world, password_hash, settings, billing_clock, provider
):
    owner, team, _ = await team_paying(api, world, password_hash)
    await set_up_billing(api, owner, team)
    await run_billing(settings)
    with count_statements() as few:
        result = await api.as_(owner).execute(BILLING, {"id": team})
    assert len(result.data["team"]["billing"]["invoices"]) == 1
    for day in (10, 15, 20):
        billing_clock.set(2027, 1, day)
        await add_paid_member(api, owner, team, f"day{day}@example.test", password_hash)
        await run_billing(settings)
    with count_statements() as many:
        result = await api.as_(owner).execute(BILLING, {"id": team})
    billing = result.data["team"]["billing"]
    assert len(billing["invoices"]) == 4
    assert len(billing["upcomingInvoice"]["lines"]) == 4
    assert len(many) == len(few), (len(few), len(many))


async def test_a_renewal_costs_a_few_statements_per_seat(
    api, world, password_hash, settings, billing_clock, provider
):
    from jobs.teams import bill_teams

    owner, small, _ = await team_paying(api, world, password_hash, n=1)
    other, large, _ = await team_paying(
        api, world, password_hash, "owner2@example.test", 6, "Clinique Sud"
    )
    await set_up_billing(api, owner, small)
    await set_up_billing(api, other, large)
    from models.team_billing import TeamBillingAccount

    first, second = await TeamBillingAccount.all().order_by("id")
    from resolvers.teams import billing_runs

    with count_statements() as one_seat:
        await billing_runs.bill(first.id, settings)
    with count_statements() as six_seats:
        await billing_runs.bill(second.id, settings)
    per_seat = (len(six_seats) - len(one_seat)) / 5
    print(
        f"renewal: {len(one_seat)} statements for 1 seat, {len(six_seats)} for 6, "
        f"{per_seat:.1f} per extra seat"
    )
    # Per seat: its invoice line (lock, insert, re-total: 4 with savepoints) and its item.
    assert per_seat <= 8, per_seat
    with count_statements() as again:
        await bill_teams({"settings": settings})  # nothing due: reads only
    # Per account with nothing due: its lock and look-ups in one transaction (17 for 2).
    assert len(again) <= 2 * 10, len(again)
