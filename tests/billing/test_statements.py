"""Query counts: an invoice list with lines, taxes, payments and credit notes costs the
same number of statements whatever the page's size."""

from carnet.statements import count_statements
from schema import ids
from tests.billing.flows import MONEY, household, open_invoice, pay

LIST = f"""query($o: ID!) {{ invoices(organizationId: $o, first: 50) {{ edges {{ node {{
  number total {MONEY} lines {{ description amount {MONEY} }} taxLines {{ code amount {MONEY} }}
  payments {{ method amount {MONEY} refunds {{ id }} }} creditNotes {{ id }} }} }} }} }}"""


async def _invoices(api, world, how_many: int) -> None:
    for _ in range(how_many):
        account, _ = await household(world)
        invoice = await open_invoice(api, world, ids.encode("ClientAccount", account.id))
        await pay(api, world, invoice["id"], 500)


async def test_the_invoice_list_costs_the_same_whatever_its_size(api, world):
    await _invoices(api, world, 2)
    with count_statements() as few:
        assert not (await api.as_(world.owner).execute(LIST, {"o": world.org_gid})).errors
    await _invoices(api, world, 6)
    with count_statements() as many:
        result = await api.as_(world.owner).execute(LIST, {"o": world.org_gid})
    assert len(result.data["invoices"]["edges"]) == 8
    assert len(many) == len(few), many
