"""The ledger: append-only in the database, and every balance and statement rebuilt
from its entries; credit notes reduce what is due, then become account credit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections

from models.billing import CreditNote, Invoice, LedgerEntry
from schema import ids
from tests.billing.flows import CHARGE, CREDIT, POSITION, STATEMENT, household, open_invoice, pay


async def test_ledger_entries_can_be_neither_updated_nor_deleted(api, world):
    account, _ = await household(world)
    await open_invoice(api, world, ids.encode("ClientAccount", account.id))
    entry = await LedgerEntry.get(account_id=account.id)
    connection = connections.get("default")
    with pytest.raises(Exception, match="append-only"):
        await connection.execute_script(
            f'UPDATE "billing_ledger_entry" SET "amount" = 0 WHERE "id" = {entry.id}'
        )
    with pytest.raises(Exception, match="append-only"):
        await connection.execute_script(
            f'DELETE FROM "billing_ledger_entry" WHERE "id" = {entry.id}'
        )
    with pytest.raises(Exception, match="append-only"):
        await LedgerEntry.filter(id=entry.id).update(amount=1)
    assert (await LedgerEntry.get(id=entry.id)).amount == entry.amount


async def _position(api, world, account) -> tuple[int, int]:
    result = await api.as_(world.owner).execute(
        POSITION, {"id": ids.encode("ClientAccount", account.id)}
    )
    node = result.data["node"]
    return node["balance"]["amount"], node["credit"]["amount"]


async def test_credit_notes_reduce_what_is_due_then_become_account_credit(api, world):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, 10000, [])]
    )
    caller = api.as_(world.billing_admin)
    variables = {"i": invoice["id"], "a": 3000, "r": "Pool closed one week"}
    (await caller.execute(CREDIT, variables)).ok("creditNoteCreate")
    assert await _position(api, world, account) == (7000, 0)
    await pay(api, world, invoice["id"], 7000)
    assert (await Invoice.get(id=ids.decode(invoice["id"])[1])).status == "PAID"
    # Credited after it was paid: the account holds the credit.
    (await caller.execute(CREDIT, {**variables, "a": 2000})).ok("creditNoteCreate")
    assert await _position(api, world, account) == (0, 2000)
    over = await caller.execute(CREDIT, {**variables, "a": 5001})
    assert over.payload_codes("creditNoteCreate") == ["AMOUNT_TOO_HIGH"]
    zero = await caller.execute(CREDIT, {**variables, "a": 0, "r": ""})
    assert sorted(zero.payload_codes("creditNoteCreate")) == ["AMOUNT_NOT_POSITIVE", "REQUIRED"]
    outsider = await api.as_(world.outsider).execute(CREDIT, variables)
    assert outsider.payload_codes("creditNoteCreate") == ["NOT_FOUND"]
    assert await CreditNote.all().count() == 2


async def test_overpaying_is_refused(api, world):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, 1000, [])]
    )
    result = await api.as_(world.billing_admin).execute(
        "mutation($i: ID!) { paymentRecord(input: {invoiceId: $i, method: CASH, "
        'amount: {amount: 1001, currency: "CAD"}}) { payment { id } errors { code } } }',
        {"i": invoice["id"]},
    )
    assert result.payload_codes("paymentRecord") == ["AMOUNT_TOO_HIGH"]


async def test_a_card_charge_retried_with_its_key_is_one_payment(api, world):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, 1000, [])]
    )
    caller = api.as_(world.billing_admin)
    variables = {"i": invoice["id"], "a": 500, "k": "retry-me"}
    first = (await caller.execute(CHARGE, variables)).ok("paymentCharge")["payment"]
    again = (await caller.execute(CHARGE, variables)).ok("paymentCharge")["payment"]
    assert first["id"] == again["id"]
    assert await _position(api, world, account) == (500, 0)


async def test_the_statement_is_rebuilt_from_the_entries(api, world):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    first = await open_invoice(api, world, gid, [(1, 10000, [])])
    await pay(api, world, first["id"], 10000)
    middle = datetime.now(UTC)
    second = await open_invoice(api, world, gid, [(2, 2500, ["GST"])])
    await pay(api, world, second["id"], 1000)
    await api.as_(world.billing_admin).execute(
        CREDIT, {"i": second["id"], "a": 500, "r": "Late start"}
    )
    later = datetime.now(UTC) + timedelta(minutes=1)
    result = await api.as_(world.billing_admin).execute(
        STATEMENT, {"a": gid, "from": middle.isoformat(), "to": later.isoformat()}
    )
    statement = result.data["statement"]
    assert statement["openingBalance"]["amount"] == 0
    assert [(e["kind"], e["amount"]["amount"]) for e in statement["entries"]] == [
        ("INVOICE", 5250),
        ("PAYMENT", -1000),
        ("CREDIT_NOTE", -500),
    ]
    assert statement["closingBalance"]["amount"] == 3750
    entries = await LedgerEntry.filter(account_id=account.id).values_list("amount", flat=True)
    assert statement["closingBalance"]["amount"] == sum(entries)
    assert await _position(api, world, account) == (3750, 0)
    whole = await api.as_(world.admin).execute(
        STATEMENT, {"a": gid, "from": "2000-01-01T00:00:00Z", "to": later.isoformat()}
    )
    assert len(whole.data["statement"]["entries"]) == 5
    foreign = await api.as_(world.outsider).execute(
        STATEMENT, {"a": gid, "from": middle.isoformat(), "to": later.isoformat()}
    )
    assert foreign.error_codes == ["NOT_FOUND"]
    agent = await api.as_(world.agent).execute(
        STATEMENT, {"a": gid, "from": middle.isoformat(), "to": later.isoformat()}
    )
    assert agent.error_codes == ["FORBIDDEN"]
