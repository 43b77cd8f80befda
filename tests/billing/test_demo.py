"""The demo club has invoices, payments, a credit note and a refund, seeded once."""

from carnet.cli.demo import seed_demo
from models.billing import CreditNote, Invoice, LedgerEntry, Payment, Refund, RefundStatus


async def test_the_demo_billing(api, app):
    await seed_demo()
    await seed_demo()
    # 3, the day camp purchase's, and the demo team's two (issue 16, paid by card).
    assert await Invoice.all().count() == 6
    assert await Payment.all().count() == 3
    [refund] = await Refund.all()
    assert refund.status is RefundStatus.SUCCEEDED and refund.amount == 5000
    assert await CreditNote.filter(refund_id=None).count() == 1
    signed_in = await api.execute(
        'mutation { tokenCreate(input: {email: "client@club.demo.carnet.test", '
        'password: "demo-password"}) { accessToken errors { code } } }'
    )
    client = api.as_(type("Client", (), {"token": signed_in.ok("tokenCreate")["accessToken"]}))
    result = await client.execute(
        '{ me { accounts { invoices { number status } statement(from: "2000-01-01T00:00:00Z", '
        'to: "2100-01-01T00:00:00Z") { closingBalance { amount } } } } }'
    )
    [account] = result.data["me"]["accounts"]
    assert sorted(i["status"] for i in account["invoices"]) == ["OPEN", "PAID"]
    roy = await LedgerEntry.filter(account__name="Roy").values_list("amount", flat=True)
    assert account["statement"]["closingBalance"]["amount"] == sum(roy)
