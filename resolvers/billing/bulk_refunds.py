"""`paymentsBulkRefund` (seed 003's "remboursement de masse"): refunds every payment of a
selection or of a filter (received in a date range, for invoices with a line naming an
activity), in full or a fixed amount each, as a bulk operation in the worker.

Exactly once: each payment's refund is written with the key `bulk-<operation>-<payment>`,
so a chunk run again finds its refunds already there (the same key and parameters return
the first refund); card refunds then go to the provider through `submit_refund`, which
refunds once (resolvers.billing.refunds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Subquery

from carnet.i18n import N_
from models.billing import Payment, RefundStatus
from models.bulk import (
    BulkItemStatus,
    BulkOperation,
    BulkOperationChunk,
    BulkOperationItem,
    BulkOperationKind,
)
from models.staff import StaffMembership
from resolvers.billing import refunds
from resolvers.billing.money import check_positive
from resolvers.bulk import operations
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Permission
from resolvers.common.tasks import current_unit_of_work, unit_of_work
from resolvers.common.validation import clean_text

KIND = BulkOperationKind.PAYMENT_REFUND
RECORD_TYPE = "payment"
SUBMIT_CHUNK = "submit_refunds"


@dataclass(frozen=True)
class PaymentTarget:
    payment_ids: Sequence[int] | None = None  # a selection; else the filter below
    received_from: datetime | None = None
    received_to: datetime | None = None
    line_description: str | None = None  # an invoice line naming the activity
    # Payments of invoices of purchases of one catalogue item (an activity: its charged
    # bookings too), optionally only those of bookings of slots starting in [from, to).
    activity_id: int | None = None
    slots_from: datetime | None = None
    slots_to: datetime | None = None

    def describe(self) -> dict:
        return {
            "activity_id": self.activity_id,
            "slots_from": self.slots_from.isoformat() if self.slots_from else None,
            "slots_to": self.slots_to.isoformat() if self.slots_to else None,
            "payment_ids": list(self.payment_ids) if self.payment_ids is not None else None,
            "received_from": self.received_from.isoformat() if self.received_from else None,
            "received_to": self.received_to.isoformat() if self.received_to else None,
            "line_description": self.line_description,
        }


def _records(actor: Actor, target: PaymentTarget):
    rows = Payment.filter(organization_id=actor.organization_id)
    if target.payment_ids is not None:
        return rows.filter(id__in=list(target.payment_ids))
    if target.received_from is not None:
        rows = rows.filter(received_at__gte=target.received_from)
    if target.received_to is not None:
        rows = rows.filter(received_at__lt=target.received_to)
    if target.line_description:
        rows = rows.filter(invoice__lines__description__icontains=target.line_description)
    if target.activity_id is not None:
        sold = Payment.filter(
            organization_id=actor.organization_id, invoice__purchases__item_id=target.activity_id
        )
        if target.slots_from is not None:
            sold = sold.filter(invoice__purchases__bookings__starts_at__gte=target.slots_from)
        if target.slots_to is not None:
            sold = sold.filter(invoice__purchases__bookings__starts_at__lt=target.slots_to)
        # A subquery: each payment once, however many purchases or bookings match.
        rows = rows.filter(id__in=Subquery(sold.values("id")))
    return rows


def check_target(target: PaymentTarget) -> None:
    if (target.slots_from or target.slots_to) and target.activity_id is None:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "target", "activity_id"),
            N_("Slot dates need an activity."),
        )
    if target.slots_from and target.slots_to and target.slots_to <= target.slots_from:
        raise UserErrors.single(
            UserErrorCode.INVALID,
            ("input", "target", "slots_to"),
            N_("The end must come after the start."),
        )


async def start(
    actor: Actor, target: PaymentTarget, amount: int | None, currency: str | None, reason: str
) -> BulkOperation:
    errors = ErrorCollector()
    reason = clean_text(reason, errors, ("input", "reason"), max_length=500, required=True)
    if amount is not None:
        check_positive(amount, errors, ("input", "amount", "amount"))
    errors.raise_if_any()
    check_target(target)
    params = {"amount": amount, "currency": currency, "reason": reason}
    async with unit_of_work():
        return await operations.start(
            actor, KIND, _records(actor, target), target=target.describe(), params=params
        )


async def _actor(context: ChunkContext) -> Actor:
    membership = (
        await StaffMembership.filter(
            organization_id=context.organization.id, user_id=context.started_by_id
        )
        .select_related("user")
        .first()
    )
    if membership is None:
        raise LookupError("the operation's starter is no longer staff here")
    return Actor(membership.user, context.organization, membership)


async def refund_each(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    try:
        actor = await _actor(context)
    except LookupError:
        message = N_("Whoever started the operation is no longer staff here.")
        return [RecordResult(pk, BulkItemStatus.FAILED, "FORBIDDEN", message) for pk in record_ids]
    params = context.params
    results, card_refunds = [], []
    for payment_id in record_ids:
        request = refunds.RefundRequest(
            payment_id=payment_id,
            amount=params.get("amount"),
            currency=params.get("currency"),
            reason=params["reason"],
            idempotency_key=f"{_key_prefix(context)}{payment_id}",
        )
        try:
            refund = await refunds.create(actor, request, submit=False)
        except NotFound:
            continue  # reported NOT_FOUND by the engine
        except UserErrors as refused:
            first = refused.errors[0]
            status = (
                BulkItemStatus.SKIPPED
                if first.code is UserErrorCode.AMOUNT_TOO_HIGH and params.get("amount") is None
                else BulkItemStatus.FAILED
            )
            results.append(RecordResult(payment_id, status, first.code.value, first.message))
            continue
        if refund.status is RefundStatus.PENDING:
            card_refunds.append(refund.id)
        after = {"refund_id": refund.id, "amount": refund.amount, "status": refund.status.value}
        results.append(RecordResult(payment_id, BulkItemStatus.SUCCEEDED, after=after))
    if card_refunds:  # one provider task for the chunk's card refunds, after it commits
        await current_unit_of_work().defer(SUBMIT_CHUNK, context.operation.id, context.chunk_number)
    return results


def _key_prefix(context: ChunkContext) -> str:
    return f"bulk-{context.operation.id}-"


async def submit_chunk(operation_id: int, number: int) -> None:
    """The provider calls of one chunk's card refunds (exactly its own: their keys name its
    payments), each once as `refunds.submit` guarantees, however often this runs."""
    operation = await BulkOperation.get(id=operation_id)
    chunk = await BulkOperationChunk.get(operation_id=operation_id, number=number)
    payment_ids = await BulkOperationItem.filter(
        operation_id=operation_id,
        position__gte=chunk.first_position,
        position__lte=chunk.last_position,
    ).values_list("record_id", flat=True)
    keys = [f"bulk-{operation_id}-{payment_id}" for payment_id in payment_ids]
    await refunds.submit_keyed(operation.organization_id, keys)


register(
    KIND,
    Action(
        record_type=RECORD_TYPE,
        permission=Permission.BILLING_REFUND,
        apply=refund_each,
        max_chunk_size=500,  # a provider call each: a chunk stays well inside a job's timeout
    ),
)
