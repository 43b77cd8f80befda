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
