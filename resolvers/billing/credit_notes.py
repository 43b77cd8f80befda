"""Credit notes against a finalized invoice: never more than what remains creditable (the
total less earlier credit notes); they reduce what is due, and beyond it become account
credit (the ledger's sum goes below zero)."""

from __future__ import annotations

from carnet.i18n import N_
from models.billing import CreditNote, InvoiceStatus, LedgerKind
from resolvers.billing import invoices, ledger
from resolvers.billing.money import Money, check_currency, check_positive
from resolvers.common import audit
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text

CREDITABLE = (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE)


async def create(actor: Actor, invoice_id: int, money: Money, reason: str) -> CreditNote:
    errors = ErrorCollector()
    reason = clean_text(reason, errors, ("input", "reason"), max_length=500, required=True)
    check_positive(money.amount, errors, ("input", "amount", "amount"))
    async with unit_of_work():
        invoice = await invoices.locked(actor, invoice_id)
        if invoice.status not in CREDITABLE:
            raise invoices.status_refused(("input", "invoice_id"), invoice.status)
        check_currency(money.currency, invoice.currency, errors, ("input", "amount", "currency"))
        errors.raise_if_any()
        left = invoice.total - invoice.amount_credited
        if money.amount > left:
            raise UserErrors.single(
                UserErrorCode.AMOUNT_TOO_HIGH,
                ("input", "amount", "amount"),
                N_("At most {amount} of this invoice remains to credit (in cents)."),
                amount=left,
            )
        note = await CreditNote.create(
            organization_id=invoice.organization_id,
            invoice_id=invoice.id,
            amount=money.amount,
            currency=invoice.currency,
            reason=reason,
            created_by=actor.user,
        )
        invoice.amount_credited += money.amount
        await invoice.save(update_fields=["amount_credited", "updated_at"])
        await invoices.settle_if_paid(invoice)
        await ledger.append(LedgerKind.CREDIT_NOTE, -money.amount, invoice, ("CreditNote", note.id))
        await audit.record(
            "billing.credit_note.create",
            actor=actor.user,
            meta=actor.meta,
            organization_id=invoice.organization_id,
            target=("CreditNote", note.id),
            after={"invoice_id": invoice.id, "amount": money.amount, "reason": reason},
        )
    return note
