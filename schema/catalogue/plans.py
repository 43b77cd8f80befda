"""Plans (billing.read to read, billing.write to change) and subscriptions (staff only)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.catalogue import PriceInterval, SubscriptionStatus
from resolvers.billing import sales
from resolvers.catalogue import plans, subscriptions
from resolvers.catalogue.plans import GroupPriceData, PriceData
from resolvers.common.permissions import Permission
from schema.catalogue.types import (
    PlanSubscriptionType,
    PlanType,
    PriceIntervalEnum,
    SubscriptionStatusEnum,
)
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids
from schema.types import Connection


@strawberry.input
class PlanPriceInput:
    interval: PriceIntervalEnum
    amount: int = strawberry.field(description="In minor units (cents), 0 or more.")


@strawberry.input
class PlanGroupPriceInput:
    group_id: strawberry.ID
    interval: PriceIntervalEnum
    amount: int = strawberry.field(description="In minor units (cents), 0 or more.")


@strawberry.input
class PlanCreateInput:
    organization_id: strawberry.ID
    name: str
    currency: str = strawberry.field(description="ISO 4217, such as CAD.")
    prices: list[PlanPriceInput] = strawberry.field(default_factory=list)
    group_prices: list[PlanGroupPriceInput] = strawberry.field(default_factory=list)


@strawberry.input
class PlanUpdateInput:
    plan_id: strawberry.ID
    name: str | None = None
    prices: list[PlanPriceInput] | None = strawberry.field(
        default=None, description="Replaces the base prices when given."
    )
    group_prices: list[PlanGroupPriceInput] | None = strawberry.field(
        default=None, description="Replaces the group prices when given."
    )


@strawberry.input
class PlanArchiveInput:
    plan_id: strawberry.ID


@strawberry.input
class SubscriptionCreateInput:
    member_id: strawberry.ID = strawberry.field(description="An AccountContact id.")
    plan_id: strawberry.ID
    interval: PriceIntervalEnum = strawberry.field(description="MONTHLY or ANNUAL.")
    status: SubscriptionStatusEnum = strawberry.field(
        default=SubscriptionStatus.ACTIVE, description="TRIAL or ACTIVE."
    )
    starts_at: datetime | None = strawberry.field(default=None, description="Now when not given.")
    payment_source: str | None = strawberry.field(
        default=None,
        description="A card source of the payment provider: each period's invoice is "
        "charged to it. None: invoices stay OPEN until paid.",
    )
    family: bool = strawberry.field(
        default=False,
        description="A family subscription: it covers every MEMBER of the member's account "
        "at the member's price (each can be taken off it with familyCoverCancel).",
    )


@strawberry.input
class SubscriptionCancelInput:
    subscription_id: strawberry.ID
    at_period_end: bool = strawberry.field(
        default=False,
        description="End when the current period ends (EXPIRED then, not renewed) "
        "rather than at once.",
    )


@strawberry.input
class SubscriptionPaymentSourceSetInput:
    subscription_id: strawberry.ID
    payment_source: str | None = strawberry.field(
        default=None, description="The card source renewals charge; null or empty: none."
    )


@strawberry.type
class PlanPayload(Payload):
    plan: PlanType | None = None


@strawberry.type
class SubscriptionPayload(Payload):
    subscription: PlanSubscriptionType | None = None


async def _group_prices(
    info: strawberry.Info, given: list[PlanGroupPriceInput] | None
) -> list[GroupPriceData] | None:
    if given is None:
        return None
    group_ids = await scoped_ids(
        info, [p.group_id for p in given], "Group", ("input", "groupPrices"), ("groupId",)
    )
    return [
        GroupPriceData(pk, PriceInterval(p.interval), p.amount)
        for pk, p in zip(group_ids, given, strict=True)
    ]


def _prices(given: list[PlanPriceInput] | None) -> list[PriceData] | None:
    if given is None:
        return None
    return [PriceData(PriceInterval(p.interval), p.amount) for p in given]


@strawberry.type
class PlansQuery:
    @strawberry.field(
        **describe("The organization's plans, by name.", requires(Permission.BILLING_READ))
    )
    async def plans(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        include_archived: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[PlanType]:
        page = await plans.plans(
            info.context.actor(info),
            include_archived,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)

    @strawberry.field(**describe("One plan.", requires(Permission.BILLING_READ)))
    async def plan(self, info: strawberry.Info, id: strawberry.ID) -> PlanType | None:
        pk = await scoped_id(info, id, "Plan", ("id",))
        return await plans.plan(info.context.actor(info), pk)


@strawberry.type
class PlansMutation:
    @strawberry.mutation(
        **describe(
            "Creates a plan with its base prices per interval and its group prices.",
            requires(Permission.BILLING_WRITE, scope="input.organizationId"),
        )
    )
    async def plan_create(self, info: strawberry.Info, input: PlanCreateInput) -> PlanPayload:
        group_prices = await _group_prices(info, input.group_prices)
        plan = await plans.create(
            info.context.actor(info),
            input.name,
            input.currency,
            _prices(input.prices),
            group_prices,
        )
        return PlanPayload(plan=plan)

    @strawberry.mutation(
        **describe(
            "Renames a plan or replaces its prices; subscriptions keep their price.",
            requires(Permission.BILLING_WRITE, scope="input.planId"),
        )
    )
    async def plan_update(self, info: strawberry.Info, input: PlanUpdateInput) -> PlanPayload:
        pk = await scoped_id(info, input.plan_id, "Plan", ("input", "planId"))
        group_prices = await _group_prices(info, input.group_prices)
        plan = await plans.update(
            info.context.actor(info), pk, input.name, _prices(input.prices), group_prices
        )
        return PlanPayload(plan=plan)

    @strawberry.mutation(
        **describe(
            "Archives a plan: no new subscriptions; those under way go on.",
            requires(Permission.BILLING_WRITE),
        )
    )
    async def plan_archive(self, info: strawberry.Info, input: PlanArchiveInput) -> PlanPayload:
        pk = await scoped_id(info, input.plan_id, "Plan", ("input", "planId"))
        return PlanPayload(plan=await plans.archive(info.context.actor(info), pk))

    @strawberry.mutation(
        **describe(
            "Subscribes an account member to a plan at the price the best-price rule gives "
            "them; this makes their contact a subscriber. Created ACTIVE, it is invoiced for "
            "its first period (`invoice`).",
            requires(Permission.BILLING_WRITE, scope="input.memberId"),
        )
    )
    async def subscription_create(
        self, info: strawberry.Info, input: SubscriptionCreateInput
    ) -> SubscriptionPayload:
        member = await scoped_id(info, input.member_id, "AccountContact", ("input", "memberId"))
        plan = await scoped_id(info, input.plan_id, "Plan", ("input", "planId"))
        subscription = await sales.subscription_create(
            info.context.actor(info),
            member,
            plan,
            PriceInterval(input.interval),
            SubscriptionStatus(input.status),
            input.starts_at,
            input.payment_source,
            input.family,
        )
        return SubscriptionPayload(subscription=subscription)

    @strawberry.mutation(
        **describe(
            "Cancels a subscription at once, or at its period's end (`atPeriodEnd`).",
            requires(Permission.BILLING_WRITE),
        )
    )
    async def subscription_cancel(
        self, info: strawberry.Info, input: SubscriptionCancelInput
    ) -> SubscriptionPayload:
        pk = await scoped_id(
            info, input.subscription_id, "PlanSubscription", ("input", "subscriptionId")
        )
        return SubscriptionPayload(
            subscription=await subscriptions.cancel(
                info.context.actor(info), pk, input.at_period_end
            )
        )

    @strawberry.mutation(
        **describe(
            "Sets or removes the card a subscription's renewals are charged to.",
            requires(Permission.BILLING_WRITE),
        )
    )
    async def subscription_payment_source_set(
        self, info: strawberry.Info, input: SubscriptionPaymentSourceSetInput
    ) -> SubscriptionPayload:
        pk = await scoped_id(
            info, input.subscription_id, "PlanSubscription", ("input", "subscriptionId")
        )
        return SubscriptionPayload(
            subscription=await subscriptions.payment_source_set(
                info.context.actor(info), pk, input.payment_source
            )
        )
