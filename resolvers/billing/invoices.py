"""Invoices: drafts with editable lines, finalizing (the gapless number), voiding, writing
off, and the lists. Ids come scoped to the actor's organization from the schema."""

from __future__ import annotations

from collections.abc import Sequence

from carnet.i18n import N_
from models.billing import (
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    LedgerKind,
)
from resolvers.billing import ledger, mail
from resolvers.billing.money import (
    TAX_RATES,
    check_currency,
    check_positive,
    line_taxes,
    remaining_due,
    totals,
)
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

MAX_QUANTITY = 1_000_000


def remaining(invoice: Invoice) -> int:
    return remaining_due(
        invoice.total, invoice.amount_paid, invoice.amount_refunded, invoice.amount_credited
    )


def status_refused(field: tuple, status: InvoiceStatus) -> UserErrors:
    return UserErrors.single(
        UserErrorCode.INVOICE_STATUS,
        field,
        N_("Not possible while the invoice is {status}."),
        status=status.value,
    )


async def locked(actor: Actor, invoice_id: int, field: tuple = ("input", "invoice_id")) -> Invoice:
    invoice = (
        await Invoice.filter(id=invoice_id, organization_id=actor.organization_id)
        .select_for_update()
        .first()
    )
    if invoice is None:
        raise NotFound(field)
    return invoice


async def create(actor: Actor, account_id: int, memo: str | None) -> Invoice:
    errors = ErrorCollector()
    memo = clean_text(memo, errors, ("input", "memo"), max_length=500)
    errors.raise_if_any()
    async with unit_of_work():
        invoice = await Invoice.create(
            organization_id=actor.organization_id,
            account_id=account_id,
            currency=actor.organization.currency,
            memo=memo,
        )
        await audit.record(
            "billing.invoice.create",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Invoice", invoice.id),
            after={"account_id": account_id},
        )
    return invoice


async def _retotal(invoice: Invoice) -> None:
    lines = await InvoiceLine.filter(invoice_id=invoice.id).values_list("amount", "taxes")
    result = totals((amount, taxes) for amount, taxes in lines)
    invoice.subtotal, invoice.tax_total, invoice.total = (
        result.subtotal,
        result.tax_total,
        result.total,
    )
    await invoice.save(update_fields=["subtotal", "tax_total", "total", "updated_at"])


def _check_line(
    description: str,
    quantity: int,
    unit_amount: int,
    currency: str,
    invoice: Invoice,
    tax_codes: Sequence[str],
    credit: bool = False,
) -> str:
    errors = ErrorCollector()
    description = clean_text(
        description, errors, ("input", "description"), max_length=500, required=True
    )
    if not 1 <= quantity <= MAX_QUANTITY:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "quantity"),
            N_("Enter a quantity from 1 to {max}."),
            max=MAX_QUANTITY,
        )
    amount = -unit_amount if credit else unit_amount
    check_positive(amount, errors, ("input", "unit_amount", "amount"))
    check_currency(currency, invoice.currency, errors, ("input", "unit_amount", "currency"))
    for index, code in enumerate(tax_codes):
        if code not in TAX_RATES or list(tax_codes).index(code) != index:
            errors.add(
                UserErrorCode.INVALID,
                ("input", "tax_codes", index),
                N_("Unknown or repeated tax code: use GST or QST, once each."),
            )
    errors.raise_if_any()
    return description


async def line_add(
    actor: Actor,
    invoice_id: int,
    description: str,
    quantity: int,
    unit_amount: int,
    currency: str,
    tax_codes: Sequence[str],
    *,
    credit: bool = False,
) -> Invoice:
    """`credit`: a negative line (a credit carried onto this invoice, e.g. team billing's
    downgrade credit); not offered through the API, where a line's amount is above zero."""
    async with unit_of_work():
        invoice = await locked(actor, invoice_id)
        if invoice.status is not InvoiceStatus.DRAFT:
            raise status_refused(("input", "invoice_id"), invoice.status)
        description = _check_line(
            description, quantity, unit_amount, currency, invoice, tax_codes, credit
        )
        amount = quantity * unit_amount
        await InvoiceLine.create(
            invoice_id=invoice.id,
            description=description,
            quantity=quantity,
            unit_amount=unit_amount,
            amount=amount,
            currency=invoice.currency,
            tax_codes=list(tax_codes),
            taxes=line_taxes(amount, tax_codes),
        )
        await _retotal(invoice)
    return invoice


async def line_remove(actor: Actor, line_id: int) -> Invoice:
    async with unit_of_work():
        line = await InvoiceLine.get(id=line_id)
        invoice = await locked(actor, line.invoice_id, ("input", "line_id"))
        if invoice.status is not InvoiceStatus.DRAFT:
            raise status_refused(("input", "line_id"), invoice.status)
        await line.delete()
        await _retotal(invoice)
    return invoice


async def next_number(organization_id: int) -> int:
    """The organization's next invoice number, its counter row locked until the unit of
    work ends: a concurrent finalize waits, and a rolled back one gives its number back."""
    await InvoiceCounter.bulk_create(
        [InvoiceCounter(organization_id=organization_id)], ignore_conflicts=True
    )
    counter = await InvoiceCounter.filter(organization_id=organization_id).select_for_update().get()
    counter.last_number += 1
    await counter.save(update_fields=["last_number"])
    return counter.last_number


async def finalize(actor: Actor, invoice_id: int, *, email: bool = True) -> Invoice:
    """`email`: queue the invoice's mail to the account's primary (the demo's seed does not:
    it runs with no job queue, and mails nobody)."""
    async with unit_of_work():
        invoice = await locked(actor, invoice_id)
        if invoice.status is not InvoiceStatus.DRAFT:
            raise status_refused(("input", "invoice_id"), invoice.status)
        if not await InvoiceLine.filter(invoice_id=invoice.id).exists():
            raise UserErrors.single(
                UserErrorCode.INVOICE_EMPTY,
                ("input", "invoice_id"),
                N_("Add at least one line before finalizing."),
            )
        invoice.number = await next_number(invoice.organization_id)
        invoice.status = InvoiceStatus.OPEN
        invoice.finalized_at = now()
        await invoice.save(update_fields=["number", "status", "finalized_at", "updated_at"])
        await ledger.append(LedgerKind.INVOICE, invoice.total, invoice, ("Invoice", invoice.id))
        await _audit(actor, invoice, "billing.invoice.finalize", InvoiceStatus.DRAFT)
        if email:
            await mail.queue_invoice(invoice)  # to the primary, sent after commit
    return invoice


async def _audit(actor: Actor, invoice: Invoice, action: str, before: InvoiceStatus) -> None:
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=invoice.organization_id,
        target=("Invoice", invoice.id),
        before={"status": before.value},
        after={"status": invoice.status.value, "number": invoice.number},
    )


async def void(actor: Actor, invoice_id: int) -> Invoice:
    """Like Stripe: an OPEN or UNCOLLECTIBLE invoice; what remained due leaves the ledger."""
    async with unit_of_work():
        invoice = await locked(actor, invoice_id)
        before = invoice.status
        if before not in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE):
            raise status_refused(("input", "invoice_id"), before)
        left = remaining(invoice)
        invoice.status, invoice.voided_at = InvoiceStatus.VOID, now()
        await invoice.save(update_fields=["status", "voided_at", "updated_at"])
        if left:
            await ledger.append(LedgerKind.VOID, -left, invoice, ("Invoice", invoice.id))
        await _audit(actor, invoice, "billing.invoice.void", before)
    return invoice


async def mark_uncollectible(actor: Actor, invoice_id: int) -> Invoice:
    """Written off: still payable, and still owed in the ledger (Stripe's behaviour)."""
    async with unit_of_work():
        invoice = await locked(actor, invoice_id)
        if invoice.status is not InvoiceStatus.OPEN:
            raise status_refused(("input", "invoice_id"), invoice.status)
        invoice.status = InvoiceStatus.UNCOLLECTIBLE
        await invoice.save(update_fields=["status", "updated_at"])
        await _audit(actor, invoice, "billing.invoice.mark_uncollectible", InvoiceStatus.OPEN)
    return invoice


async def settle_if_paid(invoice: Invoice) -> None:
    """An open (or written off) invoice with nothing left due is PAID."""
    if invoice.status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE) and not remaining(
        invoice
    ):
        invoice.status, invoice.paid_at = InvoiceStatus.PAID, now()
        await invoice.save(update_fields=["status", "paid_at", "updated_at"])


async def invoices(
    organization_id: int,
    account_id: int | None = None,
    status: InvoiceStatus | None = None,
    **page_args,
) -> Page:
    rows = Invoice.filter(organization_id=organization_id)
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    if status is not None:
        rows = rows.filter(status=status)
    return await paginate(rows, **page_args)
