"""Refunds: partial or full, never beyond what remains refundable, idempotent by key, and
for cards exactly once through the provider, even when the work dies halfway."""

from __future__ import annotations

import pytest

from carnet.providers.payments import FAKE
from models.audit import AuditEvent
from models.billing import CreditNote, LedgerEntry, Payment, Refund, RefundStatus
from models.tasks import Task
from resolvers.billing import refunds
from schema import ids
from tests.billing.flows import CHARGE, REFUND, VOID, household, open_invoice, pay
from tests.support.worker import run_worker


@pytest.fixture(autouse=True)
def fake_provider():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


async def _paid(api, world, amount=10000, method="CASH"):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, amount, [])]
    )
    payment = await pay(api, world, invoice["id"], amount, method)
    return account, invoice, payment


def _refund(payment_id, key, amount=None, reason="Class cancelled", currency="CAD"):
    money = None if amount is None else {"amount": amount, "currency": currency}
    return {"p": payment_id, "amount": money, "k": key, "r": reason}


async def test_partial_then_full_refund_of_a_cash_payment(api, world):
    account, invoice, payment = await _paid(api, world)
    caller = api.as_(world.billing_admin)
    first = (await caller.execute(REFUND, _refund(payment["id"], "k1", 2500))).ok("refundCreate")
    assert first["refund"]["status"] == "SUCCEEDED"
    assert first["refund"]["amount"]["amount"] == 2500
    rest = (await caller.execute(REFUND, _refund(payment["id"], "k2"))).ok("refundCreate")
    assert rest["refund"]["amount"]["amount"] == 7500
    over = await caller.execute(REFUND, _refund(payment["id"], "k3", 1))
    assert over.payload_codes("refundCreate") == ["AMOUNT_TOO_HIGH"]
    # Each refund reduces the sale by as much (a credit note) and the money goes back:
    # the account owes nothing, and the ledger adds up to that.
    entries = await LedgerEntry.filter(account_id=account.id).values_list("kind", "amount")
    assert sum(a for _, a in entries) == 0
    assert await CreditNote.filter(refund_id__not_isnull=True).count() == 2
    assert await AuditEvent.filter(action="billing.refund.create").count() == 2
    assert await AuditEvent.filter(action="billing.credit_note.create").count() == 2


async def test_the_same_key_returns_the_first_refund_and_other_parameters_are_refused(api, world):
    _, _, payment = await _paid(api, world)
    caller = api.as_(world.billing_admin)
    first = (await caller.execute(REFUND, _refund(payment["id"], "same", 1000))).ok("refundCreate")
    again = (await caller.execute(REFUND, _refund(payment["id"], "same", 1000))).ok("refundCreate")
    assert again["refund"]["id"] == first["refund"]["id"]
    other = await caller.execute(REFUND, _refund(payment["id"], "same", 2000))
    assert other.payload_codes("refundCreate") == ["IDEMPOTENCY_KEY_REUSED"]
    french = await caller.with_headers(**{"accept-language": "fr"}).execute(
        REFUND, _refund(payment["id"], "same", 1000, reason="Autre")
    )
    assert "clé d’idempotence" in french.payload("refundCreate")["errors"][0]["message"]
    assert await Refund.all().count() == 1
    assert (await Payment.get(id=ids.decode(payment["id"])[1])).amount_refunded == 1000


async def test_bad_refunds_write_nothing(api, world):
    _, invoice, payment = await _paid(api, world)
    caller = api.as_(world.billing_admin)
    cases = [
        (_refund(payment["id"], "a", 0), "AMOUNT_NOT_POSITIVE"),
        (_refund(payment["id"], "b", -5), "AMOUNT_NOT_POSITIVE"),
        (_refund(payment["id"], "c", 100, currency="USD"), "CURRENCY_MISMATCH"),
        (_refund(payment["id"], "d", 10001), "AMOUNT_TOO_HIGH"),
        (_refund(payment["id"], "e", 100, reason=" "), "REQUIRED"),
    ]
    for variables, code in cases:
        result = await caller.execute(REFUND, variables)
        assert result.payload_codes("refundCreate") == [code], variables
    outsider = await api.as_(world.outsider).execute(REFUND, _refund(payment["id"], "f", 100))
    assert outsider.payload_codes("refundCreate") == ["NOT_FOUND"]
    agent = await api.as_(world.agent).execute(REFUND, _refund(payment["id"], "g", 100))
    assert agent.error_codes == ["FORBIDDEN"]
    admin = await api.as_(world.admin).execute(REFUND, _refund(payment["id"], "h", 100))
    assert admin.error_codes == ["FORBIDDEN"]  # ADMIN reads billing, never refunds
    assert await Refund.all().count() == 0


async def test_a_voided_invoices_payment_is_not_refunded(api, world):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, 1000, [])]
    )
    payment = await pay(api, world, invoice["id"], 400)
    caller = api.as_(world.billing_admin)
    (await caller.execute(VOID, {"i": invoice["id"]})).ok("invoiceVoid")
    result = await caller.execute(REFUND, _refund(payment["id"], "v", 100))
    assert result.payload_codes("refundCreate") == ["INVOICE_VOIDED"]
    assert await Refund.all().count() == 0


async def _card_payment(api, world, amount=5000):
    account, _ = await household(world)
    invoice = await open_invoice(
        api, world, ids.encode("ClientAccount", account.id), [(1, amount, [])]
    )
    charged = await api.as_(world.billing_admin).execute(
        CHARGE, {"i": invoice["id"], "a": amount, "k": "charge-1"}
    )
    return account, charged.ok("paymentCharge")["payment"]


async def test_a_card_refund_is_committed_first_then_sent_once_by_the_worker(
    api, world, settings, fake_provider
):
    account, payment = await _card_payment(api, world)
    caller = api.as_(world.billing_admin)
    created = (await caller.execute(REFUND, _refund(payment["id"], "card-1", 2000))).ok(
        "refundCreate"
    )
    assert created["refund"]["status"] == "PENDING"
    assert [c[0] for c in fake_provider.calls] == ["charge"]  # not called in the request
    assert await Task.filter(function=refunds.SUBMIT).count() == 1
    await run_worker(settings)
    refund = await Refund.get(id=ids.decode(created["refund"]["id"])[1])
    assert refund.status is RefundStatus.SUCCEEDED and refund.provider_reference
    await run_worker(settings)  # nothing more to do
    await refunds.submit(refund.id)  # a second run of the body: nothing more either
    assert [c[0] for c in fake_provider.calls] == ["charge", "refund"]
    assert await LedgerEntry.filter(kind="REFUND").count() == 1


async def test_killed_between_the_provider_call_and_the_record_it_refunds_once(
    api, world, settings, fake_provider, monkeypatch
):
    account, payment = await _card_payment(api, world)
    caller = api.as_(world.billing_admin)
    created = (await caller.execute(REFUND, _refund(payment["id"], "card-2", 5000))).ok(
        "refundCreate"
    )
    refund_id = ids.decode(created["refund"]["id"])[1]

    async def dies(*args):
        raise SystemExit("worker killed after the provider answered")

    monkeypatch.setattr(refunds, "_record_success", dies)
    with pytest.raises(SystemExit):
        await refunds.submit(refund_id)
    monkeypatch.undo()
    assert (await Refund.get(id=refund_id)).status is RefundStatus.PENDING
    assert await LedgerEntry.filter(kind="REFUND").count() == 0
    await run_worker(settings)  # the task is still pending: the worker runs it again
    refund = await Refund.get(id=refund_id)
    assert refund.status is RefundStatus.SUCCEEDED
    refund_calls = [c for c in fake_provider.calls if c[0] == "refund"]
    assert len(refund_calls) == 2 and len({c[1] for c in refund_calls}) == 1  # one key
    assert len(fake_provider.refunds) == 1  # so the provider refunded once
    assert await LedgerEntry.filter(kind="REFUND").count() == 1
    entries = await LedgerEntry.filter(account_id=account.id).values_list("amount", flat=True)
    assert sum(entries) == 0


async def test_killed_before_the_provider_call_it_still_refunds_once(
    api, world, settings, fake_provider
):
    _, payment = await _card_payment(api, world)
    caller = api.as_(world.billing_admin)
    await caller.execute(REFUND, _refund(payment["id"], "card-3", 1000))
    # Dies before any call: the row and its key are committed, the task still pending.
    await run_worker(settings)
    await run_worker(settings)
    assert len(fake_provider.refunds) == 1
    assert await LedgerEntry.filter(kind="REFUND").count() == 1


async def test_a_refund_the_provider_declines_is_refundable_again(
    api, world, settings, fake_provider
):
    _, payment = await _card_payment(api, world)
    caller = api.as_(world.billing_admin)
    created = (await caller.execute(REFUND, _refund(payment["id"], "card-4", 5000))).ok(
        "refundCreate"
    )
    fake_provider.decline = True
    await run_worker(settings)
    refund = await Refund.get(id=ids.decode(created["refund"]["id"])[1])
    assert refund.status is RefundStatus.FAILED
    assert (await Payment.get(id=refund.payment_id)).amount_refunded == 0
    assert await LedgerEntry.filter(kind="REFUND").count() == 0
    fake_provider.decline = False
    again = await caller.execute(REFUND, _refund(payment["id"], "card-5", 5000))
    assert again.ok("refundCreate")["refund"]["status"] == "PENDING"
