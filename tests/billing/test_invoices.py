"""Invoices: drafts, lines with Québec taxes per line, gapless numbers, statuses."""

from __future__ import annotations

from models.audit import AuditEvent
from models.billing import Invoice, InvoiceLine, LedgerEntry
from schema import ids
from tests.billing.flows import (
    CREATE,
    FINALIZE,
    LINE_ADD,
    LINE_REMOVE,
    UNCOLLECTIBLE,
    VOID,
    household,
    open_invoice,
    pay,
)


async def test_a_draft_gets_lines_taxes_and_a_number_when_finalized(api, world):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    invoice = await open_invoice(api, world, gid, [(3, 1999, ["GST", "QST"]), (1, 10, ["QST"])])
    assert invoice["status"] == "OPEN" and invoice["number"] == 1
    # 3 × 19.99 = 59.97: GST 2.9985 → 3.00, QST 5.98200… → 5.98; 0.10: QST 0.009975 → 0.01
    assert invoice["subtotal"]["amount"] == 5997 + 10
    taxes = {t["code"]: t["amount"]["amount"] for t in invoice["taxLines"]}
    assert taxes == {"GST": 300, "QST": 598 + 1}
    assert invoice["total"]["amount"] == 6007 + 899
    assert invoice["total"]["formatted"] == "$69.06"
    second = await open_invoice(api, world, gid)
    assert second["number"] == 2
    entries = await LedgerEntry.filter(account_id=account.id).values_list("kind", "amount")
    assert sorted(entries) == sorted([("INVOICE", 6906), ("INVOICE", 11498)])
    assert await AuditEvent.filter(action="billing.invoice.finalize").count() == 2


async def test_formatted_in_french(api, world):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, 123456, [])]
    )
    query = 'query($id: ID!) { invoice(id: $id) { total { formatted(locale: "fr") } } }'
    result = await api.as_(world.owner).execute(query, {"id": invoice["id"]})
    assert result.data["invoice"]["total"]["formatted"] == "1\u00a0234,56\u00a0$"


async def test_only_drafts_take_line_changes_and_empty_drafts_stay_drafts(api, world):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    caller = api.as_(world.billing_admin)
    draft = (await caller.execute(CREATE, {"a": gid})).ok("invoiceCreate")["invoice"]
    result = await caller.execute(FINALIZE, {"i": draft["id"]})
    assert result.payload_codes("invoiceFinalize") == ["INVOICE_EMPTY"]
    variables = {"i": draft["id"], "d": "Court", "q": 1, "u": 500, "c": "CAD", "t": []}
    added = (await caller.execute(LINE_ADD, variables)).ok("invoiceLineAdd")["invoice"]
    line_id = added["lines"][0]["id"]
    removed = (await caller.execute(LINE_REMOVE, {"l": line_id})).ok("invoiceLineRemove")
    assert removed["invoice"]["total"]["amount"] == 0
    (await caller.execute(LINE_ADD, variables)).ok("invoiceLineAdd")
    (await caller.execute(FINALIZE, {"i": draft["id"]})).ok("invoiceFinalize")
    result = await caller.execute(LINE_ADD, variables)
    assert result.payload_codes("invoiceLineAdd") == ["INVOICE_STATUS"]
    assert await InvoiceLine.filter(invoice_id=ids.decode(draft["id"])[1]).count() == 1


async def test_bad_lines_are_refused_in_english_and_french(api, world):
    account, _ = await household(world)
    caller = api.as_(world.billing_admin)
    gid = ids.encode("ClientAccount", account.id)
    draft = (await caller.execute(CREATE, {"a": gid})).ok("invoiceCreate")["invoice"]
    variables = {"i": draft["id"], "d": "Court", "q": 1, "u": 0, "c": "USD", "t": []}
    result = await caller.execute(LINE_ADD, variables)
    assert result.payload_codes("invoiceLineAdd") == ["AMOUNT_NOT_POSITIVE", "CURRENCY_MISMATCH"]
    french = await caller.with_headers(**{"accept-language": "fr"}).execute(LINE_ADD, variables)
    messages = [e["message"] for e in french.payload("invoiceLineAdd")["errors"]]
    assert "supérieur à zéro" in messages[0] and "CAD" in messages[1]
    assert await InvoiceLine.all().count() == 0


async def test_void_and_uncollectible(api, world):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    caller = api.as_(world.billing_admin)
    first = await open_invoice(api, world, gid, [(1, 1000, [])])
    await pay(api, world, first["id"], 400)
    voided = (await caller.execute(VOID, {"i": first["id"]})).ok("invoiceVoid")["invoice"]
    assert voided["status"] == "VOID"
    entries = (
        await LedgerEntry.filter(account_id=account.id).order_by("id").values_list("kind", "amount")
    )
    assert entries == [("INVOICE", 1000), ("PAYMENT", -400), ("VOID", -600)]
    again = await caller.execute(VOID, {"i": first["id"]})
    assert again.payload_codes("invoiceVoid") == ["INVOICE_STATUS"]
    second = await open_invoice(api, world, gid, [(1, 1000, [])])
    written_off = (await caller.execute(UNCOLLECTIBLE, {"i": second["id"]})).ok(
        "invoiceMarkUncollectible"
    )
    assert written_off["invoice"]["status"] == "UNCOLLECTIBLE"
    await pay(api, world, second["id"], 1000)
    assert (await Invoice.get(id=ids.decode(second["id"])[1])).status == "PAID"


async def test_another_organizations_account_and_invoice_are_not_found(api, world):
    account, _ = await household(world)
    invoice = await open_invoice(api, world, ids.encode("ClientAccount", account.id))
    outsider = api.as_(world.outsider)
    result = await outsider.execute(FINALIZE, {"i": invoice["id"]})
    assert result.payload_codes("invoiceFinalize") == ["NOT_FOUND"]
    result = await outsider.execute(CREATE, {"a": ids.encode("ClientAccount", account.id)})
    assert result.payload_codes("invoiceCreate") == ["NOT_FOUND"]
    agent = await api.as_(world.agent).execute(VOID, {"i": invoice["id"]})
    assert agent.error_codes == ["FORBIDDEN"]
    assert await Invoice.all().count() == 1


async def test_the_list_filters_by_account_and_status(api, world):
    account, _ = await household(world)
    other, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    await open_invoice(api, world, gid)
    await open_invoice(api, world, ids.encode("ClientAccount", other.id))
    query = """query($o: ID!, $a: ID) { invoices(organizationId: $o, accountId: $a,
      status: OPEN, first: 10) { totalCount edges { node { number accountId } } } }"""
    result = await api.as_(world.admin).execute(query, {"o": world.org_gid, "a": gid})
    assert result.data["invoices"]["totalCount"] == 1
    assert result.data["invoices"]["edges"][0]["node"]["accountId"] == gid
