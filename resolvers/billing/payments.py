"""Payments applied to an invoice: recorded by staff (cash, cheque, transfer) or charged
to a card through the payment provider. An invoice with nothing left due is PAID."""

from __future__ import annotations

from datetime import datetime

from carnet.i18n import N_
from carnet.providers import payments as provider
from models.billing import Invoice, InvoiceStatus, LedgerKind, Payment, PaymentMethod
from resolvers.billing import invoices, ledger
from resolvers.billing.money import Money, check_currency, check_positive
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, UserErrorCode, UserErrors
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)


def check(invoice: Invoice, money: Money, errors: ErrorCollector) -> None:
    field = ("input", "invoice_id")
    if invoice.status not in PAYABLE:
        raise invoices.status_refused(field, invoice.status)
    check_positive(money.amount, errors, ("input", "amount", "amount"))
    check_currency(money.currency, invoice.currency, errors, ("input", "amount", "currency"))
    errors.raise_if_any()
    left = invoices.remaining(invoice)
    if money.amount > left:
        raise UserErrors.single(
            UserErrorCode.AMOUNT_TOO_HIGH,
            ("input", "amount", "amount"),
            N_("At most {amount} remains due on this invoice (in cents)."),
            amount=left,
        )


async def _apply(
    actor: Actor,
    invoice: Invoice,
    method: PaymentMethod,
    amount: int,
    reference: str,
    received_at: datetime,
) -> Payment:
    payment = await Payment.create(
        organization_id=invoice.organization_id,
        account_id=invoice.account_id,
        invoice_id=invoice.id,
        method=method,
        amount=amount,
        currency=invoice.currency,
        reference=reference,
        received_at=received_at,
    )
    invoice.amount_paid += amount
    await invoice.save(update_fields=["amount_paid", "updated_at"])
    await invoices.settle_if_paid(invoice)
    await ledger.append(LedgerKind.PAYMENT, -amount, invoice, ("Payment", payment.id))
    await audit.record(
        "billing.payment.create",
        actor=actor.user,
        meta=actor.meta,
        organization_id=invoice.organization_id,
        target=("Payment", payment.id),
        after={"invoice_id": invoice.id, "method": method.value, "amount": amount},
    )
    return payment


async def record(
    actor: Actor,
    invoice_id: int,
    method: PaymentMethod,
    money: Money,
    reference: str | None,
    received_at: datetime | None,
) -> Payment:
    errors = ErrorCollector()
    if method is PaymentMethod.CARD:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "method"),
            N_("Card payments go through paymentCharge."),
        )
    reference = clean_text(reference, errors, ("input", "reference"), max_length=200)
    async with unit_of_work():
        invoice = await invoices.locked(actor, invoice_id)
        check(invoice, money, errors)
        return await _apply(actor, invoice, method, money.amount, reference, received_at or now())


async def charge(
    actor: Actor, invoice_id: int, money: Money, source: str, idempotency_key: str
) -> Payment:
    """Charges the card, then records the payment. The provider call carries a key made
    from the caller's: a retry after a failure charges once, and finds its payment."""
    errors = ErrorCollector()
    source = clean_text(source, errors, ("input", "source"), max_length=200, required=True)
    key = clean_text(
        idempotency_key, errors, ("input", "idempotency_key"), max_length=200, required=True
    )
    async with unit_of_work():  # checked before charging: nothing is charged for nothing
        check(await invoices.locked(actor, invoice_id), money, errors)
    provider_key = f"carnet-charge-{actor.organization_id}-{invoice_id}-{key}"
    try:
        result = await provider.provider().charge(
            money.amount, money.currency, source, provider_key
        )
    except provider.ProviderError:
        raise UserErrors.single(
            UserErrorCode.PAYMENT_DECLINED, ("input", "source"), N_("The card was declined.")
        ) from None
    async with unit_of_work():
        invoice = await invoices.locked(actor, invoice_id)
        found = await Payment.filter(
            organization_id=actor.organization_id, reference=result.reference
        ).first()
        if found is not None:
            return found  # the same charge, recorded by an earlier try
        check(invoice, money, errors)
        return await _apply(
            actor, invoice, PaymentMethod.CARD, money.amount, result.reference, now()
        )


async def payments(
    organization_id: int, account_id: int | None = None, invoice_id: int | None = None, **page
) -> Page:
    rows = Payment.filter(organization_id=organization_id)
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    if invoice_id is not None:
        rows = rows.filter(invoice_id=invoice_id)
    return await paginate(rows, **page)
