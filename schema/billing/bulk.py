"""`paymentsBulkRefund`: a batch refund over a selection of payments or a filter, as a
bulk operation (progress, per-record results and cancel as for every operation)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers.billing import bulk_refunds
from resolvers.common.permissions import Permission
from schema.billing.types import MoneyInput
from schema.bulk import BulkOperationPayload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids


@strawberry.input(description="Which payments: `paymentIds`, or the filter's other fields.")
class PaymentTargetInput:
    payment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="A selection of payments."
    )
    received_from: datetime | None = None
    received_to: datetime | None = strawberry.field(default=None, description="Exclusive.")
    line_description: str | None = strawberry.field(
        default=None,
        description="Payments of invoices with a line naming this (an activity, a class).",
    )
    activity_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Payments of the purchases of this catalogue item (an activity's "
        "charged bookings included).",
    )
    slots_from: datetime | None = strawberry.field(
        default=None, description="With activityId: bookings of slots starting from then."
    )
    slots_to: datetime | None = strawberry.field(
        default=None, description="With activityId: … and before then (exclusive)."
    )


@strawberry.input
class PaymentsBulkRefundInput:
    organization_id: strawberry.ID
    target: PaymentTargetInput
    amount: MoneyInput | None = strawberry.field(
        default=None, description="A fixed amount per payment; omitted: each in full."
    )
    reason: str


@strawberry.type
class BillingBulkMutation:
    @strawberry.mutation(
        **describe(
            "Refunds every payment of the target, in full or a fixed amount each, as a bulk "
            "operation; each refund exactly once (its key is the operation's and the "
            "payment's). A payment with nothing left is SKIPPED, one that cannot be refunded "
            "FAILED with its code.",
            requires(
                Permission.BILLING_REFUND, also=Permission.BULK_RUN, scope="input.organizationId"
            ),
        )
    )
    async def payments_bulk_refund(
        self, info: strawberry.Info, input: PaymentsBulkRefundInput
    ) -> BulkOperationPayload:
        chosen = input.target.payment_ids
        payment_ids = (
            None
            if chosen is None
            else await scoped_ids(info, chosen, "Payment", ("input", "target", "paymentIds"))
        )
        activity = input.target.activity_id
        activity_id = (
            None
            if activity is None
            else await scoped_id(info, activity, "CatalogueItem", ("input", "target", "activityId"))
        )
        target = bulk_refunds.PaymentTarget(
            payment_ids=payment_ids,
            received_from=input.target.received_from,
            received_to=input.target.received_to,
            line_description=input.target.line_description,
            activity_id=activity_id,
            slots_from=input.target.slots_from,
            slots_to=input.target.slots_to,
        )
        operation = await bulk_refunds.start(
            info.context.actor(info),
            target,
            input.amount.amount if input.amount else None,
            input.amount.currency if input.amount else None,
            input.reason,
        )
        return BulkOperationPayload(operation=operation)
