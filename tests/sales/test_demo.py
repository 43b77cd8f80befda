"""The demo club has a purchase with its invoice, seeded once."""

from carnet.cli.demo import seed_demo
from models.billing import InvoiceStatus
from models.catalogue import Purchase


async def test_the_demo_purchase_is_invoiced(api, app):
    await seed_demo()
    await seed_demo()
    [purchase] = await Purchase.all().select_related("invoice", "item")
    assert purchase.item.rl24_eligible
    assert purchase.invoice.status is InvoiceStatus.OPEN and purchase.invoice.number
    assert purchase.invoice.total == 17500 + 875 + 1746  # GST 5 %, QST 9.975 % (half up)
