"""The demo club's billing: the Roy household (whose holder signs in) has a paid invoice
with a partial refund, and an open one reduced by a credit note; Tremblay owes one, and
bought a week of day camp (an RL-24-eligible activity) for Léa, invoiced at once."""

from __future__ import annotations

from models.accounts import AccountContact, ClientAccount
from models.billing import Invoice, PaymentMethod
from models.catalogue import CatalogueItem, ItemKind
from models.organizations import Organization
from models.staff import Role, StaffMembership
from resolvers.billing import credit_notes, invoices, payments, refunds, sales
from resolvers.billing.money import Money
from resolvers.common.actor import Actor

LESSONS = ("Swim lessons, spring session", 2, 9500, ["GST", "QST"])
PASS = ("Family pass, 10 visits", 1, 12000, ["GST", "QST"])
COURT = ("Tennis court, 1 h", 3, 1800, ["GST", "QST"])


async def _invoice(actor: Actor, account: ClientAccount, *lines) -> Invoice:
    invoice = await invoices.create(actor, account.id, "Demo")
    for description, quantity, unit, taxes in lines:
        await invoices.line_add(actor, invoice.id, description, quantity, unit, "CAD", taxes)
    return await invoices.finalize(actor, invoice.id, email=False)


async def seed_demo_billing(organization: Organization) -> list[str]:
    summary = [
        "    billing: Roy (paid invoice, partial refund; open invoice with a credit note), "
        "Tremblay (open invoice; a day camp purchase with its invoice)"
    ]
    if await Invoice.filter(organization=organization).exists():
        return summary
    membership = (
        await StaffMembership.filter(organization=organization, role=Role.BILLING_ADMIN)
        .select_related("user")
        .first()
        or await StaffMembership.filter(organization=organization, role=Role.OWNER)
        .select_related("user")
        .first()
    )
    actor = Actor(membership.user, organization, membership)
    roy = await ClientAccount.get(organization=organization, name="Roy")
    tremblay = await ClientAccount.get(organization=organization, name="Tremblay")
    paid = await _invoice(actor, roy, LESSONS, PASS)
    payment = await payments.record(
        actor, paid.id, PaymentMethod.CHEQUE, Money(paid.total, "CAD"), "cheque 120", None
    )
    await refunds.create(
        actor,
        refunds.RefundRequest(payment.id, 5000, "CAD", "One class cancelled", "demo-refund-1"),
    )
    open_invoice = await _invoice(actor, roy, COURT)
    await credit_notes.create(actor, open_invoice.id, Money(1000, "CAD"), "Court closed 1 h")
    await _invoice(actor, tremblay, PASS)
    camp = await CatalogueItem.create(
        organization=organization,
        kind=ItemKind.ACTIVITY,
        name="Day camp, summer week",
        amount=17500,
        currency="CAD",
        rl24_eligible=True,
    )
    lea = await AccountContact.get(account=tremblay, contact__first_name="Léa")
    await sales.purchase_create(actor, lea.id, camp.id, 1, client_side=False)
    return summary
