"""`paymentsBulkRefund`: a batch refund over a selection or a filter, in the worker, each
refund exactly once — run twice, or killed halfway and run again."""

from __future__ import annotations

import pytest

from carnet.providers.payments import FAKE
from models.billing import LedgerEntry, Refund, RefundStatus
from models.bulk import BulkOperation, BulkOperationItem
from resolvers.billing import bulk_refunds
from resolvers.bulk import chunks
from schema import ids
from tests.billing.flows import CHARGE, household, open_invoice, pay
from tests.support.worker import run_worker

BULK = """mutation($o: ID!, $t: PaymentTargetInput!, $a: MoneyInput) {
  paymentsBulkRefund(input: {organizationId: $o, target: $t, amount: $a,
    reason: "Session cancelled"}) { operation { id total state } errors { code field } } }"""
RESULTS = """query($id: ID!) { bulkOperation(id: $id) { state succeeded skipped failed
  results(first: 50) { edges { node { status reasonCode } } } } }"""


@pytest.fixture(autouse=True)
def fake_provider():
    FAKE.reset()
    yield FAKE
    FAKE.reset()


async def _payments(api, world):
    """Three swim payments (one by card) and one tennis payment."""
    found = []
    for description, method in [
        ("Swim", "CASH"),
        ("Swim", "CHEQUE"),
        ("Swim", "CARD"),
        ("Tennis", "CASH"),
    ]:
        account, _ = await household(world)
        gid = ids.encode("ClientAccount", account.id)
        caller = api.as_(world.billing_admin)
        invoice = await open_invoice(api, world, gid, [(1, 3000, [])])
        if description == "Tennis":
            from models.billing import InvoiceLine

            await InvoiceLine.filter(invoice_id=ids.decode(invoice["id"])[1]).update(
                description="Tennis court"
            )
        if method == "CARD":
            result = await caller.execute(CHARGE, {"i": invoice["id"], "a": 3000, "k": "c"})
            found.append(result.ok("paymentCharge")["payment"])
        else:
            found.append(await pay(api, world, invoice["id"], 3000, method))
    return found


async def test_a_batch_refund_of_one_activity_runs_once(api, world, settings, fake_provider):
    payments = await _payments(api, world)
    result = await api.as_(world.owner).execute(
        BULK, {"o": world.org_gid, "t": {"lineDescription": "swim"}}
    )
    operation = result.ok("paymentsBulkRefund")["operation"]
    assert operation["total"] == 3
    await run_worker(settings)
    await run_worker(settings)
    report = (await api.as_(world.owner).execute(RESULTS, {"id": operation["id"]})).data
    assert report["bulkOperation"]["state"] == "COMPLETED"
    assert report["bulkOperation"]["succeeded"] == 3
    assert await Refund.filter(status=RefundStatus.SUCCEEDED).count() == 3
    assert len(fake_provider.refunds) == 1  # the card one, once
    assert [c[0] for c in fake_provider.calls].count("refund") == 1  # and called once
    assert await LedgerEntry.filter(kind="REFUND").count() == 3
    # A second batch finds nothing left to refund: SKIPPED.
    again = await api.as_(world.owner).execute(
        BULK, {"o": world.org_gid, "t": {"paymentIds": [p["id"] for p in payments[:2]]}}
    )
    await run_worker(settings)
    second = (
        await api.as_(world.owner).execute(
            RESULTS, {"id": again.ok("paymentsBulkRefund")["operation"]["id"]}
        )
    ).data["bulkOperation"]
    assert second["skipped"] == 2
    assert await Refund.all().count() == 3


async def test_a_fixed_amount_each_and_too_much_fails(api, world, settings):
    payments = await _payments(api, world)
    variables = {
        "o": world.org_gid,
        "t": {"paymentIds": [payments[0]["id"], payments[3]["id"]]},
        "a": {"amount": 1000, "currency": "CAD"},
    }
    operation = (await api.as_(world.owner).execute(BULK, variables)).ok("paymentsBulkRefund")
    await run_worker(settings)
    assert sorted(await Refund.all().values_list("amount", flat=True)) == [1000, 1000]
    too_much = {**variables, "a": {"amount": 2500, "currency": "CAD"}}
    operation = (await api.as_(world.owner).execute(BULK, too_much)).ok("paymentsBulkRefund")
    await run_worker(settings)
    report = await api.as_(world.owner).execute(RESULTS, {"id": operation["operation"]["id"]})
    codes = [e["node"]["reasonCode"] for e in report.data["bulkOperation"]["results"]["edges"]]
    assert codes == ["AMOUNT_TOO_HIGH", "AMOUNT_TOO_HIGH"]


async def test_refused_batches(api, world):
    payments = await _payments(api, world)
    variables = {"o": world.org_gid, "t": {"paymentIds": [payments[0]["id"]]}}
    billing_admin = await api.as_(world.billing_admin).execute(BULK, variables)
    assert billing_admin.error_codes == ["FORBIDDEN"]  # no bulk.run
    admin = await api.as_(world.admin).execute(BULK, variables)
    assert admin.error_codes == ["FORBIDDEN"]  # no billing.refund
    foreign = await api.as_(world.outsider).execute(
        BULK, {"o": world.other_org_gid, "t": {"paymentIds": [payments[0]["id"]]}}
    )
    assert foreign.payload_codes("paymentsBulkRefund") == ["NOT_FOUND"]
    negative = await api.as_(world.owner).execute(
        BULK, {**variables, "a": {"amount": -1, "currency": "CAD"}}
    )
    assert negative.payload_codes("paymentsBulkRefund") == ["AMOUNT_NOT_POSITIVE"]
    assert await BulkOperation.all().count() == 0


async def test_killed_halfway_through_a_chunk_it_refunds_each_once(
    api, world, settings, fake_provider, monkeypatch
):
    await _payments(api, world)
    result = await api.as_(world.owner).execute(
        BULK, {"o": world.org_gid, "t": {"lineDescription": "swim"}}
    )
    operation_id = ids.decode(result.ok("paymentsBulkRefund")["operation"]["id"])[1]
    real_create, calls = bulk_refunds.refunds.create, []

    async def dies_on_the_third(actor, request, **options):
        calls.append(request.payment_id)
        if len(calls) == 3:
            raise SystemExit("worker killed in the middle of the chunk")
        return await real_create(actor, request, **options)

    monkeypatch.setattr(bulk_refunds.refunds, "create", dies_on_the_third)
    with pytest.raises(SystemExit):
        await chunks.run_chunk(operation_id, 1)
    monkeypatch.undo()
    assert await Refund.all().count() == 0  # the chunk's transaction rolled back
    await run_worker(settings)  # its task is still pending: the worker runs it
    await run_worker(settings)
    assert await Refund.all().count() == 3
    assert (
        await BulkOperationItem.filter(operation_id=operation_id, status="SUCCEEDED").count() == 3
    )
    assert len(fake_provider.refunds) == 1
    assert await LedgerEntry.filter(kind="REFUND").count() == 3
