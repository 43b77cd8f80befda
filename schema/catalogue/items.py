"""Catalogue items, their slots and the groups' booking quotas (billing.read to read,
billing.write to change)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from carnet.i18n import N_
from models.catalogue import ItemKind, PassKind, QuotaPeriod
from resolvers.catalogue import bookings, items
from resolvers.catalogue.items import ItemData, ItemPriceData
from resolvers.common.errors import ErrorCollector, UserErrorCode
from resolvers.common.permissions import Permission
from schema import ids
from schema.catalogue.types import (
    CatalogueItemType,
    CatalogueSlotType,
    GroupBookingQuotaType,
    ItemKindEnum,
    PassKindEnum,
    QuotaPeriodEnum,
)
from schema.payloads import Payload
from schema.permissions import describe, requires
from schema.scope import scoped_id, scoped_ids_or_none
from schema.types import Connection


@strawberry.input(description="A price for a plan's subscribers or a group's members: give one.")
class CatalogueItemPriceInput:
    amount: int = strawberry.field(description="In minor units, in the item's currency.")
    plan_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None


@strawberry.input
class CatalogueItemCreateInput:
    organization_id: strawberry.ID
    kind: ItemKindEnum
    pass_kind: PassKindEnum | None = strawberry.field(default=None, description="PASS only.")
    name: str
    description: str = ""
    amount: int = strawberry.field(description="The base price, in minor units.")
    currency: str = strawberry.field(description="ISO 4217, such as CAD.")
    prices: list[CatalogueItemPriceInput] = strawberry.field(default_factory=list)


@strawberry.input
class CatalogueItemUpdateInput:
    item_id: strawberry.ID
    name: str | None = None
    description: str | None = None
    amount: int | None = None
    prices: list[CatalogueItemPriceInput] | None = strawberry.field(
        default=None, description="Replaces the item's prices when given."
    )


@strawberry.input
class CatalogueItemArchiveInput:
    item_id: strawberry.ID


@strawberry.input
class CatalogueSlotCreateInput:
    item_id: strawberry.ID = strawberry.field(description="An ACTIVITY.")
    starts_at: datetime
    ends_at: datetime
    capacity: int


@strawberry.input
class CatalogueSlotUpdateInput:
    slot_id: strawberry.ID
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = strawberry.field(
        default=None, description="Never below the ACTIVE bookings held."
    )


@strawberry.input
class CatalogueSlotDeleteInput:
    slot_id: strawberry.ID


@strawberry.input
class GroupBookingQuotaSetInput:
    group_id: strawberry.ID
    period: QuotaPeriodEnum
    max_bookings: int | None = strawberry.field(
        description="ACTIVE bookings each member may hold per period; null removes the quota."
    )


@strawberry.type
class CatalogueItemPayload(Payload):
    item: CatalogueItemType | None = None


@strawberry.type
class CatalogueSlotPayload(Payload):
    slot: CatalogueSlotType | None = None


@strawberry.type
class CatalogueSlotDeletePayload(Payload):
    deleted_slot_id: strawberry.ID | None = None


@strawberry.type
class GroupBookingQuotaPayload(Payload):
    quota: GroupBookingQuotaType | None = strawberry.field(
        default=None, description="Null once removed."
    )


async def _prices(
    info: strawberry.Info, given: list[CatalogueItemPriceInput] | None
) -> list[ItemPriceData] | None:
    """Plan and group ids checked in one statement each; NOT_FOUND at each one's index."""
    if given is None:
        return None
    plans = iter(await scoped_ids_or_none(info, [p.plan_id for p in given if p.plan_id], "Plan"))
    groups = iter(
        await scoped_ids_or_none(info, [p.group_id for p in given if p.group_id], "Group")
    )
    found, errors = [], ErrorCollector()
    for index, price in enumerate(given):
        plan = next(plans) if price.plan_id else None
        group = next(groups) if price.group_id else None
        for name, given_id, pk in (
            ("planId", price.plan_id, plan),
            ("groupId", price.group_id, group),
        ):
            if given_id and pk is None:
                errors.add(
                    UserErrorCode.NOT_FOUND, ("input", "prices", index, name), N_("Not found.")
                )
        found.append(ItemPriceData(price.amount, plan, group))
    errors.raise_if_any()
    return found


@strawberry.type
class CatalogueQuery:
    @strawberry.field(
        **describe(
            "The organization's catalogue by name, of one kind when given.",
            requires(Permission.BILLING_READ),
        )
    )
    async def catalogue_items(
        self,
        info: strawberry.Info,
        organization_id: strawberry.ID,
        kind: ItemKindEnum | None = None,
        include_archived: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CatalogueItemType]:
        page = await items.items(
            info.context.actor(info),
            ItemKind(kind) if kind else None,
            include_archived,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)

    @strawberry.field(**describe("One catalogue item.", requires(Permission.BILLING_READ)))
    async def catalogue_item(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> CatalogueItemType | None:
        pk = await scoped_id(info, id, "CatalogueItem", ("id",))
        return await items.item(info.context.actor(info), pk)

    @strawberry.field(
        **describe("The groups' booking quotas, by group.", requires(Permission.BILLING_READ))
    )
    async def group_booking_quotas(
        self, info: strawberry.Info, organization_id: strawberry.ID
    ) -> list[GroupBookingQuotaType]:
        return await bookings.quotas(info.context.actor(info))


@strawberry.type
class CatalogueMutation:
    @strawberry.mutation(
        **describe(
            "Adds an item to the catalogue, with its prices per plan or group.",
            requires(Permission.BILLING_WRITE, scope="input.organizationId"),
        )
    )
    async def catalogue_item_create(
        self, info: strawberry.Info, input: CatalogueItemCreateInput
    ) -> CatalogueItemPayload:
        data = ItemData(
            input.name, input.description, input.amount, await _prices(info, input.prices)
        )
        item = await items.create(
            info.context.actor(info),
            ItemKind(input.kind),
            PassKind(input.pass_kind) if input.pass_kind else None,
            input.currency,
            data,
        )
        return CatalogueItemPayload(item=item)

    @strawberry.mutation(
        **describe(
            "Changes an item; purchases keep the price they were charged.",
            requires(Permission.BILLING_WRITE, scope="input.itemId"),
        )
    )
    async def catalogue_item_update(
        self, info: strawberry.Info, input: CatalogueItemUpdateInput
    ) -> CatalogueItemPayload:
        pk = await scoped_id(info, input.item_id, "CatalogueItem", ("input", "itemId"))
        data = ItemData(
            input.name, input.description, input.amount, await _prices(info, input.prices)
        )
        return CatalogueItemPayload(item=await items.update(info.context.actor(info), pk, data))

    @strawberry.mutation(
        **describe(
            "Takes an item out of sale and booking; what was bought or booked stays.",
            requires(Permission.BILLING_WRITE),
        )
    )
    async def catalogue_item_archive(
        self, info: strawberry.Info, input: CatalogueItemArchiveInput
    ) -> CatalogueItemPayload:
        pk = await scoped_id(info, input.item_id, "CatalogueItem", ("input", "itemId"))
        return CatalogueItemPayload(item=await items.archive(info.context.actor(info), pk))

    @strawberry.mutation(
        **describe("Adds a bookable slot to an activity.", requires(Permission.BILLING_WRITE))
    )
    async def catalogue_slot_create(
        self, info: strawberry.Info, input: CatalogueSlotCreateInput
    ) -> CatalogueSlotPayload:
        pk = await scoped_id(info, input.item_id, "CatalogueItem", ("input", "itemId"))
        slot = await items.slot_create(
            info.context.actor(info), pk, input.starts_at, input.ends_at, input.capacity
        )
        return CatalogueSlotPayload(slot=slot)

    @strawberry.mutation(**describe("Moves or resizes a slot.", requires(Permission.BILLING_WRITE)))
    async def catalogue_slot_update(
        self, info: strawberry.Info, input: CatalogueSlotUpdateInput
    ) -> CatalogueSlotPayload:
        pk = await scoped_id(info, input.slot_id, "CatalogueSlot", ("input", "slotId"))
        slot = await items.slot_update(
            info.context.actor(info), pk, input.starts_at, input.ends_at, input.capacity
        )
        return CatalogueSlotPayload(slot=slot)

    @strawberry.mutation(
        **describe("Deletes a slot nobody has booked.", requires(Permission.BILLING_WRITE))
    )
    async def catalogue_slot_delete(
        self, info: strawberry.Info, input: CatalogueSlotDeleteInput
    ) -> CatalogueSlotDeletePayload:
        pk = await scoped_id(info, input.slot_id, "CatalogueSlot", ("input", "slotId"))
        await items.slot_delete(info.context.actor(info), pk)
        return CatalogueSlotDeletePayload(deleted_slot_id=ids.encode("CatalogueSlot", pk))

    @strawberry.mutation(
        **describe(
            "Sets or removes how many ACTIVE bookings each member of a group may hold per "
            "week or month.",
            requires(Permission.BILLING_WRITE),
        )
    )
    async def group_booking_quota_set(
        self, info: strawberry.Info, input: GroupBookingQuotaSetInput
    ) -> GroupBookingQuotaPayload:
        pk = await scoped_id(info, input.group_id, "Group", ("input", "groupId"))
        quota = await bookings.quota_set(
            info.context.actor(info), pk, QuotaPeriod(input.period), input.max_bookings
        )
        return GroupBookingQuotaPayload(quota=quota)
