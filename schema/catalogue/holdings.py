"""Bookings and purchases: staff (billing.write) on a client's behalf, or the account's
primary from the client side; and `member`, an account member's purchases, bookings and
subscriptions (billing.read, or the account's primary)."""

from __future__ import annotations

import strawberry

from resolvers.billing import sales
from resolvers.catalogue import family
from resolvers.common.permissions import Permission, Relationship
from schema.catalogue.types import (
    BillingMember,
    BookingType,
    PlanSubscriptionType,
    PurchaseType,
)
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id


@strawberry.input
class BookingCreateInput:
    slot_id: strawberry.ID
    member_id: strawberry.ID = strawberry.field(description="An AccountContact id.")


@strawberry.input
class BookingCancelInput:
    booking_id: strawberry.ID


@strawberry.input
class PurchaseCreateInput:
    member_id: strawberry.ID = strawberry.field(description="An AccountContact id.")
    item_id: strawberry.ID
    quantity: int = 1


@strawberry.input
class PurchaseCancelInput:
    purchase_id: strawberry.ID
    credit_amount: int | None = strawberry.field(
        default=None,
        description="What to credit on its invoice, in minor units, for what was not "
        "consumed: all that remains creditable when omitted, 0 for nothing.",
    )


@strawberry.input
class FamilyCoverCancelInput:
    member_id: strawberry.ID = strawberry.field(
        description="The AccountContact id of the member taken off it."
    )
    purchase_id: strawberry.ID | None = strawberry.field(
        default=None, description="A family pass (a FAMILY purchase)…"
    )
    subscription_id: strawberry.ID | None = strawberry.field(
        default=None, description="…or a family subscription: exactly one of the two."
    )


@strawberry.type
class FamilyCoverCancelPayload(Payload):
    purchase: PurchaseType | None = None
    subscription: PlanSubscriptionType | None = None


@strawberry.type
class BookingPayload(Payload):
    booking: BookingType | None = None


@strawberry.type
class PurchasePayload(Payload):
    purchase: PurchaseType | None = None


@strawberry.type
class HoldingsQuery:
    @strawberry.field(
        **describe(
            "An account member's purchases (with their account's family passes), bookings "
            "and subscriptions, canceled ones included: staff, or the account's primary.",
            requires(Permission.BILLING_READ, relationship=Relationship.ACCOUNT_PRIMARY),
        )
    )
    async def member(self, info: strawberry.Info, id: strawberry.ID) -> BillingMember | None:
        pk = await scoped_id(info, id, "AccountContact", ("id",))
        return BillingMember(member_pk=pk)


@strawberry.type
class HoldingsMutation:
    @strawberry.mutation(
        **describe(
            "Books a slot for an account member, within the slot's capacity and the "
            "member's groups' quotas: staff, or the account's primary online. An activity "
            "with a price is bought with it (`purchase`, invoiced OPEN).",
            requires(
                Permission.BILLING_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.memberId",
            ),
        )
    )
    async def booking_create(
        self, info: strawberry.Info, input: BookingCreateInput
    ) -> BookingPayload:
        member = await scoped_id(info, input.member_id, "AccountContact", ("input", "memberId"))
        slot = await scoped_id(info, input.slot_id, "CatalogueSlot", ("input", "slotId"))
        principal = info.context.principal(info)
        booking = await sales.booking_create(
            principal, slot, member, client_side=not principal.can(Permission.BILLING_WRITE)
        )
        return BookingPayload(booking=booking)

    @strawberry.mutation(
        **describe(
            "Cancels a booking; it stays listed among the member's cancellations. A charged "
            "one's purchase is canceled with it: a credit note for what remains creditable.",
            requires(Permission.BILLING_WRITE, relationship=Relationship.ACCOUNT_PRIMARY),
        )
    )
    async def booking_cancel(
        self, info: strawberry.Info, input: BookingCancelInput
    ) -> BookingPayload:
        pk = await scoped_id(info, input.booking_id, "Booking", ("input", "bookingId"))
        booking = await sales.booking_cancel(info.context.principal(info), pk)
        return BookingPayload(booking=booking)

    @strawberry.mutation(
        **describe(
            "Buys a catalogue item for an account member at the price the best-price rule "
            "gives them: staff on the client's behalf, or the account's primary online "
            "(an adult of at least 18). It is invoiced at once: `purchase { invoice }`.",
            requires(
                Permission.BILLING_WRITE,
                relationship=Relationship.ACCOUNT_PRIMARY,
                scope="input.memberId",
            ),
        )
    )
    async def purchase_create(
        self, info: strawberry.Info, input: PurchaseCreateInput
    ) -> PurchasePayload:
        member = await scoped_id(info, input.member_id, "AccountContact", ("input", "memberId"))
        item = await scoped_id(info, input.item_id, "CatalogueItem", ("input", "itemId"))
        principal = info.context.principal(info)
        purchase = await sales.purchase_create(
            principal,
            member,
            item,
            input.quantity,
            client_side=not principal.can(Permission.BILLING_WRITE),
        )
        return PurchasePayload(purchase=purchase)

    @strawberry.mutation(
        **describe(
            "Cancels a purchase; it stays listed among the member's cancellations, and a "
            "credit note on its invoice credits what was not consumed (all by default).",
            requires(Permission.BILLING_WRITE),
        )
    )
    async def purchase_cancel(
        self, info: strawberry.Info, input: PurchaseCancelInput
    ) -> PurchasePayload:
        pk = await scoped_id(info, input.purchase_id, "Purchase", ("input", "purchaseId"))
        purchase = await sales.purchase_cancel(
            info.context.principal(info), pk, input.credit_amount
        )
        return PurchasePayload(purchase=purchase)

    @strawberry.mutation(
        **describe(
            "Takes one member off a family pass or a family subscription; the other members "
            "keep it. Listed CANCELED under that member only; nothing is credited.",
            requires(Permission.BILLING_WRITE, scope="input.memberId"),
        )
    )
    async def family_cover_cancel(
        self, info: strawberry.Info, input: FamilyCoverCancelInput
    ) -> FamilyCoverCancelPayload:
        member = await scoped_id(info, input.member_id, "AccountContact", ("input", "memberId"))
        purchase = subscription = None
        if input.purchase_id is not None:
            purchase = await scoped_id(info, input.purchase_id, "Purchase", ("input", "purchaseId"))
        if input.subscription_id is not None:
            subscription = await scoped_id(
                info, input.subscription_id, "PlanSubscription", ("input", "subscriptionId")
            )
        holding = await family.cancel_for_member(
            info.context.actor(info), member, purchase, subscription
        )
        if input.purchase_id is not None:
            return FamilyCoverCancelPayload(purchase=holding)
        return FamilyCoverCancelPayload(subscription=holding)
