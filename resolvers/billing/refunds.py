"""Refunds, exactly once. The refund row and its idempotency key are committed before the
provider is called, and the call happens in a job (`submit`), with a provider key made
from the refund's id: a job killed after the call and run again repeats it with the same
key, which the provider answers with the first refund. A refund that succeeds reduces the
sale (a credit note for as much, while the invoice has any left to credit) and the ledger
records the money going back.

The same idempotency key with the same parameters returns the first refund; with other
parameters it is IDEMPOTENCY_KEY_REUSED (Stripe's rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from carnet.i18n import N_
from carnet.providers import payments as provider
from models.billing import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    LedgerKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundStatus,
)
from resolvers.billing import ledger
from resolvers.billing.money import check_currency, check_positive
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

SUBMIT = "submit_refund"


@dataclass(frozen=True)
class RefundRequest:
    payment_id: int
    amount: int | None  # None: all that remains refundable
    currency: str | None
    reason: str
    idempotency_key: str

    def fingerprint(self) -> dict:
        return {
            "payment_id": self.payment_id,
            "amount": self.amount,
            "currency": (self.currency or "").strip().upper() or None,
            "reason": self.reason,
        }


def refundable(payment: Payment) -> int:
    return payment.amount - payment.amount_refunded


def _clean(request: RefundRequest) -> RefundRequest:
    errors = ErrorCollector()
    reason = clean_text(request.reason, errors, ("input", "reason"), max_length=500, required=True)
    key = clean_text(
        request.idempotency_key,
        errors,
        ("input", "idempotency_key"),
        max_length=255,
        required=True,
    )
    if request.amount is not None:
        check_positive(request.amount, errors, ("input", "amount", "amount"))
    errors.raise_if_any()
    return RefundRequest(request.payment_id, request.amount, request.currency, reason, key)


async def create(actor: Actor, request: RefundRequest, submit: bool = True) -> Refund:
    """`submit=False`: the caller defers the provider calls itself (a batch, in one task
    per chunk: `submit_many`)."""
    request = _clean(request)
    try:
        return await _create(actor, request, submit)
    except IntegrityError:
        # The same key, written meanwhile by a concurrent call: answer as if it came first.
        return await _create(actor, request, submit)


async def _create(actor: Actor, request: RefundRequest, submit: bool) -> Refund:
    async with unit_of_work() as uow:
        payment = (
            await Payment.filter(id=request.payment_id, organization_id=actor.organization_id)
            .select_for_update()
            .first()
        )
        if payment is None:
            raise NotFound(("input", "payment_id"))
        earlier = await Refund.filter(
            organization_id=actor.organization_id, idempotency_key=request.idempotency_key
        ).first()
        if earlier is not None:
            if earlier.request != request.fingerprint():
                raise UserErrors.single(
                    UserErrorCode.IDEMPOTENCY_KEY_REUSED,
                    ("input", "idempotency_key"),
                    N_("This idempotency key was used for another refund: use a new key."),
                )
            return earlier
        amount = await _check(payment, request)
        refund = await Refund.create(
            organization_id=payment.organization_id,
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            reason=request.reason,
            idempotency_key=request.idempotency_key,
            request=request.fingerprint(),
            created_by=actor.user,
        )
        payment.amount_refunded += amount
        await payment.save(update_fields=["amount_refunded", "updated_at"])
        await _audit("billing.refund.create", actor.user, actor.meta, refund)
        if payment.method is PaymentMethod.CARD:
            if submit:
                await uow.defer(SUBMIT, refund.id)
        else:  # cash, cheque, transfer: handed back by staff, done now
            await succeed(refund, "")
    return refund


async def _check(payment: Payment, request: RefundRequest) -> int:
    invoice = await Invoice.get(id=payment.invoice_id)
    if invoice.status is InvoiceStatus.VOID:
        raise UserErrors.single(
            UserErrorCode.INVOICE_VOIDED,
            ("input", "payment_id"),
            N_("This payment's invoice was voided: it cannot be refunded."),
        )
    errors = ErrorCollector()
    if request.currency is not None:
        check_currency(request.currency, payment.currency, errors, ("input", "amount", "currency"))
    errors.raise_if_any()
    left = refundable(payment)
    amount = left if request.amount is None else request.amount
    if amount > left or amount <= 0:
        raise UserErrors.single(
            UserErrorCode.AMOUNT_TOO_HIGH,
            ("input", "amount", "amount"),
            N_("At most {amount} of this payment remains refundable (in cents)."),
            amount=left,
        )
    return amount


async def _audit(action: str, user, meta: RequestMeta, refund: Refund) -> None:
    await audit.record(
        action,
        actor=user,
        meta=meta,
        organization_id=refund.organization_id,
        target=("Refund", refund.id),
        after={
            "payment_id": refund.payment_id,
            "amount": refund.amount,
            "currency": refund.currency,
            "reason": refund.reason,
            "status": refund.status.value,
        },
    )


async def succeed(refund: Refund, reference: str) -> None:
    """Records the money going back (in the caller's unit of work, the refund locked)."""
    refund.status, refund.provider_reference, refund.completed_at = (
        RefundStatus.SUCCEEDED,
        reference,
        now(),
    )
    await refund.save(update_fields=["status", "provider_reference", "completed_at", "updated_at"])
    payment = await Payment.get(id=refund.payment_id)
    invoice = await Invoice.filter(id=payment.invoice_id).select_for_update().get()
    credit = min(refund.amount, invoice.total - invoice.amount_credited)
    if credit > 0:
        note = await CreditNote.create(
            organization_id=invoice.organization_id,
            invoice_id=invoice.id,
            amount=credit,
            currency=invoice.currency,
            reason=refund.reason,
            refund_id=refund.id,
            created_by_id=refund.created_by_id,
        )
        await ledger.append(LedgerKind.CREDIT_NOTE, -credit, invoice, ("CreditNote", note.id))
        await audit.record(
            "billing.credit_note.create",
            actor=None,
            meta=RequestMeta(),
            organization_id=invoice.organization_id,
            target=("CreditNote", note.id),
            after={"invoice_id": invoice.id, "amount": credit, "refund_id": refund.id},
        )
        invoice.amount_credited += credit
    invoice.amount_refunded += refund.amount
    await invoice.save(update_fields=["amount_credited", "amount_refunded", "updated_at"])
    await ledger.append(LedgerKind.REFUND, refund.amount, invoice, ("Refund", refund.id))


def provider_key(refund: Refund) -> str:
    return f"carnet-refund-{refund.id}"


async def submit(refund_id: int) -> None:
    """The job's body: calls the provider for a PENDING card refund, then records the
    outcome. Run twice, or again after dying between the two, it refunds once."""
    refund = await Refund.get_or_none(id=refund_id).select_related("payment")
    if refund is None or refund.status is not RefundStatus.PENDING:
        return
    try:
        result = await provider.provider().refund(
            refund.payment.reference, refund.amount, provider_key(refund)
        )
    except provider.ProviderError as refused:
        await _fail(refund_id, str(refused))
        return
    await _record_success(refund_id, result.reference)


async def submit_keyed(organization_id: int, keys: list[str]) -> None:
    """`submit` for each refund of these keys still PENDING (a batch's chunk)."""
    pending = (
        await Refund.filter(
            organization_id=organization_id,
            idempotency_key__in=keys,
            status=RefundStatus.PENDING,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    for refund_id in pending:
        await submit(refund_id)


async def _record_success(refund_id: int, reference: str) -> None:
    async with unit_of_work():
        refund = await Refund.filter(id=refund_id).select_for_update().get()
        if refund.status is not RefundStatus.PENDING:
            return
        await succeed(refund, reference)
        await _audit("billing.refund.succeed", None, RequestMeta(), refund)


async def _fail(refund_id: int, failure: str) -> None:
    """The provider refused: the amount becomes refundable again."""
    async with unit_of_work():
        refund = await Refund.filter(id=refund_id).select_for_update().get()
        if refund.status is not RefundStatus.PENDING:
            return
        refund.status, refund.failure, refund.completed_at = (
            RefundStatus.FAILED,
            failure[:500],
            now(),
        )
        await refund.save(update_fields=["status", "failure", "completed_at", "updated_at"])
        payment = await Payment.filter(id=refund.payment_id).select_for_update().get()
        payment.amount_refunded -= refund.amount
        await payment.save(update_fields=["amount_refunded", "updated_at"])
        await _audit("billing.refund.fail", None, RequestMeta(), refund)
