"""The catalogue's GraphQL types: plans and their prices, subscriptions, items, slots,
quotas, bookings and purchases (all billing.read, or the account's primary for what
belongs to their account's members). Money is `amount` (minor units) and `currency`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.dataloader import DataLoader

from models.billing import Invoice
from models.catalogue import (
    Booking,
    CatalogueItem,
    CatalogueSlot,
    HoldingStatus,
    ItemKind,
    PassKind,
    Plan,
    PriceInterval,
    Purchase,
    QuotaPeriod,
    Subscription,
    SubscriptionStatus,
)
from resolvers.catalogue import access as _access  # noqa: F401  (registers relationships)
from resolvers.catalogue import bookings, items, plans, pricing, purchases, subscriptions
from resolvers.common.permissions import Permission
from schema import ids
from schema.permissions import describe, requires
from schema.scope import scoped_id
from schema.types import Node, model_node, related

GroupRef = Annotated["GroupType", strawberry.lazy("schema.groups")]  # noqa: F821
InvoiceRef = Annotated["InvoiceType", strawberry.lazy("schema.billing.types")]  # noqa: F821

PriceIntervalEnum = strawberry.enum(
    PriceInterval, name="PriceInterval", description="ONE_OFF, MONTHLY or ANNUAL."
)
SubscriptionStatusEnum = strawberry.enum(
    SubscriptionStatus,
    name="SubscriptionStatus",
    description="TRIAL, ACTIVE and PAST_DUE make the member's contact a subscriber.",
)
ItemKindEnum = strawberry.enum(ItemKind, name="CatalogueItemKind")
PassKindEnum = strawberry.enum(
    PassKind, name="PassKind", description="A FAMILY pass covers every member of the account."
)
QuotaPeriodEnum = strawberry.enum(
    QuotaPeriod,
    name="QuotaPeriod",
    description="WEEK (Monday to Sunday) or MONTH, in the organization's timezone.",
)
HoldingStatusEnum = strawberry.enum(HoldingStatus, name="HoldingStatus")


def loader(info: strawberry.Info, name: str, batch) -> DataLoader:
    return info.context.loader(f"catalogue.{name}", lambda: DataLoader(batch))


async def by_id(info: strawberry.Info, model, pk: int | None):
    """A record a list's rows point to, fetched once per request for all of them."""
    if pk is None:
        return None

    async def batch(pks: list[int]) -> list:
        found = {row.id: row for row in await model.filter(id__in=pks)}
        return [found.get(key) for key in pks]

    return await loader(info, f"by_id.{model.__name__}", batch).load(pk)


@strawberry.type(description="What a contact pays, and the group or plan whose price applied.")
class PriceQuote:
    amount: int = strawberry.field(description="In minor units (cents).")
    currency: str
    group: GroupRef | None = strawberry.field(
        default=None, description="The group whose price applied; null for the base price."
    )
    plan: PlanType | None = strawberry.field(
        default=None, description="The plan whose subscribers' price applied (items only)."
    )

    @classmethod
    def of(cls, quote: pricing.Quote | None) -> PriceQuote | None:
        if quote is None:
            return None
        return cls(amount=quote.amount, currency=quote.currency, group=quote.group, plan=quote.plan)


@strawberry.type
class PlanPrice:
    interval: PriceIntervalEnum
    amount: int = strawberry.field(description="In minor units (cents).")


@strawberry.type
class PlanGroupPrice:
    interval: PriceIntervalEnum
    amount: int = strawberry.field(description="In minor units (cents).")

    @strawberry.field
    async def group(self) -> GroupRef:
        return await related(self, "group")


@model_node("Plan", Plan, Permission.BILLING_READ)
class PlanType(Node):
    name: str
    currency: str
    archived_at: datetime | None
    created_at: datetime

    @strawberry.field(description="The base price per interval.")
    async def prices(self, info: strawberry.Info) -> list[PlanPrice]:
        return await loader(info, "plan_prices", plans.prices_of).load(self.id)

    @strawberry.field(description="The groups' prices, by group name.")
    async def group_prices(self, info: strawberry.Info) -> list[PlanGroupPrice]:
        return await loader(info, "plan_group_prices", plans.group_prices_of).load(self.id)

    @strawberry.field(
        **describe(
            "What the contact pays for this plan and interval: the lowest of the base "
            "price and their groups' prices (null when the plan has neither).",
            requires(Permission.BILLING_READ),
        )
    )
    async def price_for(
        self, info: strawberry.Info, contact_id: strawberry.ID, interval: PriceIntervalEnum
    ) -> PriceQuote | None:
        pk = await scoped_id(info, contact_id, "Contact", ("contactId",))
        return PriceQuote.of(await pricing.plan_price_for(self, pk, interval))


@model_node("PlanSubscription", Subscription, Permission.BILLING_READ)
class PlanSubscriptionType(Node):
    interval: PriceIntervalEnum
    status: SubscriptionStatusEnum
    current_period_start: datetime
    current_period_end: datetime
    unit_amount: int = strawberry.field(description="Each period's price, in minor units.")
    currency: str
    canceled_at: datetime | None
    created_at: datetime
    cancel_at_period_end: bool = strawberry.field(
        description="Ends (EXPIRED) when the current period ends instead of renewing."
    )
    due_at: datetime | None = strawberry.field(
        description="When the current period's unpaid invoice is due: PAST_DUE after it."
    )
    ended_at: datetime | None = strawberry.field(description="When it became EXPIRED.")
    covers_account: bool = strawberry.field(
        description="A family subscription: it covers every member of the account."
    )

    @strawberry.field(description="Whether renewals are charged to a card.")
    def has_payment_source(self) -> bool:
        return bool(self.payment_source)

    @strawberry.field(description="The current period's invoice while it is unpaid.")
    async def due_invoice(self, info: strawberry.Info) -> InvoiceRef | None:
        return await by_id(info, Invoice, self.due_invoice_id)

    @strawberry.field
    async def plan(self, info: strawberry.Info) -> PlanType:
        return await by_id(info, Plan, self.plan_id)

    @strawberry.field(description="The invoice for its first period, when created ACTIVE.")
    async def invoice(self, info: strawberry.Info) -> InvoiceRef | None:
        return await by_id(info, Invoice, self.invoice_id)

    @strawberry.field(description="The AccountContact id of the member.")
    def member_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("AccountContact", self.member_id))


@strawberry.type(description="An item's price for a plan's subscribers or a group's members.")
class CatalogueItemPrice:
    amount: int = strawberry.field(description="In minor units, in the item's currency.")

    @strawberry.field
    async def plan(self) -> PlanType | None:
        return await related(self, "plan")

    @strawberry.field
    async def group(self) -> GroupRef | None:
        return await related(self, "group")


@model_node("CatalogueSlot", CatalogueSlot, Permission.BILLING_READ, "item__organization_id")
class CatalogueSlotType(Node):
    starts_at: datetime
    ends_at: datetime
    capacity: int

    @strawberry.field(description="ACTIVE bookings held.")
    async def booked_count(self, info: strawberry.Info) -> int:
        return await loader(info, "booked_counts", items.booked_counts).load(self.id)

    @strawberry.field
    async def item(self, info: strawberry.Info) -> CatalogueItemType:
        return await by_id(info, CatalogueItem, self.item_id)


@model_node("CatalogueItem", CatalogueItem, Permission.BILLING_READ)
class CatalogueItemType(Node):
    kind: ItemKindEnum
    pass_kind: PassKindEnum | None
    name: str
    description: str
    amount: int = strawberry.field(description="The base price, in minor units.")
    currency: str
    archived_at: datetime | None
    created_at: datetime
    membership_months: int = strawberry.field(
        description="MEMBERSHIP items: how long the membership card a purchase makes is valid."
    )
    rl24_eligible: bool = strawberry.field(
        description="Childcare expenses eligible for Québec's RL-24 tax receipts."
    )

    @strawberry.field(description="Prices per plan or per group.")
    async def prices(self, info: strawberry.Info) -> list[CatalogueItemPrice]:
        return await loader(info, "item_prices", items.prices_of).load(self.id)

    @strawberry.field(description="An activity's bookable slots, by start.")
    async def slots(self, info: strawberry.Info) -> list[CatalogueSlotType]:
        return await loader(info, "slots", items.slots_of).load(self.id)

    @strawberry.field(
        **describe(
            "What the contact pays: the lowest of the base price, their groups' prices and "
            "the prices of the plans they subscribe to.",
            requires(Permission.BILLING_READ),
        )
    )
    async def price_for(self, info: strawberry.Info, contact_id: strawberry.ID) -> PriceQuote:
        pk = await scoped_id(info, contact_id, "Contact", ("contactId",))
        return PriceQuote.of(await pricing.item_price_for(self, pk))


@strawberry.type(
    name="GroupBookingQuota",
    description="How many ACTIVE bookings each member of a group may hold per period.",
)
class GroupBookingQuotaType:
    period: QuotaPeriodEnum
    max_bookings: int

    @strawberry.field
    async def group(self) -> GroupRef:
        return await related(self, "group")


@model_node("Booking", Booking, Permission.BILLING_READ, "slot__item__organization_id")
class BookingType(Node):
    status: HoldingStatusEnum
    starts_at: datetime
    canceled_at: datetime | None
    created_at: datetime

    @strawberry.field
    async def slot(self, info: strawberry.Info) -> CatalogueSlotType:
        return await by_id(info, CatalogueSlot, self.slot_id)

    @strawberry.field(description="The AccountContact id of the member.")
    def member_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("AccountContact", self.member_id))

    @strawberry.field(description="The purchase that charged it (an activity with a price).")
    async def purchase(self, info: strawberry.Info) -> PurchaseType | None:
        return await by_id(info, Purchase, self.purchase_id)


@model_node("Purchase", Purchase, Permission.BILLING_READ)
class PurchaseType(Node):
    status: HoldingStatusEnum
    quantity: int
    unit_amount: int = strawberry.field(description="The unit price charged, in minor units.")
    currency: str
    covers_account: bool = strawberry.field(
        description="A family pass: the purchase covers every member of the account."
    )
    canceled_at: datetime | None
    created_at: datetime

    @strawberry.field(description="quantity × unitAmount.")
    def total_amount(self) -> int:
        return self.quantity * self.unit_amount

    @strawberry.field
    async def item(self, info: strawberry.Info) -> CatalogueItemType:
        return await by_id(info, CatalogueItem, self.item_id)

    @strawberry.field(description="The invoice that charged it (OPEN and numbered at once).")
    async def invoice(self, info: strawberry.Info) -> InvoiceRef | None:
        return await by_id(info, Invoice, self.invoice_id)

    @strawberry.field(description="The AccountContact id of the member it was bought for.")
    def member_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("AccountContact", self.member_id))


@strawberry.type(
    description='An account member\'s purchases, bookings and subscriptions ("Achats"), '
    "canceled ones included, newest first."
)
class BillingMember:
    member_pk: strawberry.Private[int]

    @strawberry.field(description="The AccountContact id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("AccountContact", self.member_pk))

    @strawberry.field(description="Theirs and the family passes of their account.")
    async def purchases(self, info: strawberry.Info) -> list[PurchaseType]:
        return await loader(info, "purchases_of", purchases.purchases_of).load(self.member_pk)

    @strawberry.field
    async def bookings(self, info: strawberry.Info) -> list[BookingType]:
        return await loader(info, "bookings_of", bookings.bookings_of).load(self.member_pk)

    @strawberry.field
    async def subscriptions(self, info: strawberry.Info) -> list[PlanSubscriptionType]:
        found = loader(info, "subscriptions_of", subscriptions.subscriptions_of)
        return await found.load(self.member_pk)
