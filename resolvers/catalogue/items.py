"""Catalogue items (ACTIVITY, MERCHANDISE, PASS, MEMBERSHIP) with a base price and prices per
plan or per group, and the bookable slots of activities. billing.write changes them,
billing.read reads them. What a contact pays is pricing.item_price_for's to say."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from carnet.i18n import N_
from models.catalogue import (
    Booking,
    CatalogueItem,
    CatalogueItemPrice,
    CatalogueSlot,
    HoldingStatus,
    ItemKind,
    PassKind,
    Plan,
)
from resolvers.catalogue import pricing
from resolvers.catalogue.common import audit_event, clean_name
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode, UserErrors
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.common.validation import clean_text

DESCRIPTION_MAX_LENGTH = 4000
MAX_CAPACITY = 100_000


@dataclass(frozen=True)
class ItemPriceData:
    """A price for a plan's subscribers or a group's members: exactly one of the two."""

    amount: int
    plan_id: int | None = None
    group_id: int | None = None


@dataclass
class ItemData:
    name: str | None = None
    description: str | None = None
    amount: int | None = None
    prices: Sequence[ItemPriceData] | None = None


def _check_prices(prices: Sequence[ItemPriceData], errors: ErrorCollector) -> None:
    seen: set[tuple[int | None, int | None]] = set()
    for index, price in enumerate(prices):
        path = ("input", "prices", index)
        pricing.check_amount(price.amount, errors, (*path, "amount"))
        if (price.plan_id is None) == (price.group_id is None):
            errors.add(UserErrorCode.INVALID, path, N_("Give a plan or a group, not both."))
        elif (price.plan_id, price.group_id) in seen:
            errors.add(UserErrorCode.DUPLICATE, path, N_("One price per plan or group."))
        seen.add((price.plan_id, price.group_id))


def _clean(data: ItemData, errors: ErrorCollector, creating: bool) -> None:
    if creating or data.name is not None:
        data.name = clean_name(data.name, errors)
    if data.description is not None:
        data.description = clean_text(
            data.description,
            errors,
            ("input", "description"),
            max_length=DESCRIPTION_MAX_LENGTH,
            multiline=True,
        )
    if creating or data.amount is not None:
        pricing.check_amount(data.amount, errors, ("input", "amount"))
    _check_prices(data.prices or [], errors)


async def _check_plans(actor: Actor, prices: Sequence[ItemPriceData], currency: str) -> None:
    """A plan's price for an item is in the item's currency: plans of another are refused."""
    wanted = {p.plan_id for p in prices if p.plan_id is not None}
    plans = await Plan.filter(id__in=list(wanted), organization_id=actor.organization_id)
    other = {p.id for p in plans if p.currency != currency}
    errors = ErrorCollector()
    for index, price in enumerate(prices):
        if price.plan_id in other:
            errors.add(
                UserErrorCode.INVALID,
                ("input", "prices", index, "planId"),
                N_("This plan's currency is not the item's."),
            )
    errors.raise_if_any()


async def _write_prices(item: CatalogueItem, prices: Sequence[ItemPriceData] | None) -> None:
    if prices is None:
        return
    await CatalogueItemPrice.filter(item_id=item.id).delete()
    await CatalogueItemPrice.bulk_create(
        [
            CatalogueItemPrice(
                item_id=item.id, plan_id=p.plan_id, group_id=p.group_id, amount=p.amount
            )
            for p in prices
        ]
    )


def _snapshot(item: CatalogueItem, prices: Sequence[ItemPriceData] | None) -> dict:
    shown = {"name": item.name, "amount": item.amount, "currency": item.currency}
    if prices is not None:
        shown["prices"] = [[p.plan_id, p.group_id, p.amount] for p in prices]
    return shown


async def create(
    actor: Actor,
    kind: ItemKind,
    pass_kind: PassKind | None,
    currency: str | None,
    data: ItemData,
) -> CatalogueItem:
    errors = ErrorCollector()
    _clean(data, errors, creating=True)
    currency = pricing.clean_currency(currency, errors, ("input", "currency"))
    if (kind is ItemKind.PASS) != (pass_kind is not None):
        errors.add(
            UserErrorCode.INVALID,
            ("input", "pass_kind"),
            N_("A pass is SINGLE or FAMILY; other items have no pass kind."),
        )
    errors.raise_if_any()
    async with unit_of_work():
        await _check_plans(actor, data.prices or [], currency)
        item = await CatalogueItem.create(
            organization_id=actor.organization_id,
            kind=kind,
            pass_kind=pass_kind,
            name=data.name,
            description=data.description or "",
            amount=data.amount,
            currency=currency,
        )
        await _write_prices(item, data.prices or [])
        after = {"kind": kind.value, **_snapshot(item, data.prices or [])}
        await audit_event(actor, "catalogue_item.create", ("CatalogueItem", item.id), after=after)
    return item


async def update(actor: Actor, item_id: int, data: ItemData) -> CatalogueItem:
    """`prices`, when given, replace the item's; purchases keep what they were charged."""
    errors = ErrorCollector()
    _clean(data, errors, creating=False)
    errors.raise_if_any()
    async with unit_of_work():
        item = await locked_row(CatalogueItem, actor, item_id, ("input", "item_id"))
        await _check_plans(actor, data.prices or [], item.currency)
        before = _snapshot(item, None)
        for name in ("name", "description", "amount"):
            if getattr(data, name) is not None:
                setattr(item, name, getattr(data, name))
        await item.save(update_fields=["name", "description", "amount", "updated_at"])
        await _write_prices(item, data.prices)
        after = _snapshot(item, data.prices)
        await audit_event(
            actor, "catalogue_item.update", ("CatalogueItem", item.id), before=before, after=after
        )
    return item


async def archive(actor: Actor, item_id: int) -> CatalogueItem:
    """No longer sold nor booked; what was bought and booked stays. Twice changes nothing."""
    async with unit_of_work():
        item = await locked_row(CatalogueItem, actor, item_id, ("input", "item_id"))
        if item.archived_at is None:
            item.archived_at = now()
            await item.save(update_fields=["archived_at", "updated_at"])
            await audit_event(actor, "catalogue_item.archive", ("CatalogueItem", item.id))
    return item


async def items(
    actor: Actor,
    kind: ItemKind | None,
    include_archived: bool,
    *,
    first=None,
    after=None,
    last=None,
    before=None,
) -> Page:
    rows = CatalogueItem.filter(organization_id=actor.organization_id)
    if kind is not None:
        rows = rows.filter(kind=kind)
    if not include_archived:
        rows = rows.filter(archived_at__isnull=True)
    return await paginate(
        rows, first=first, after=after, last=last, before=before, order=("name", "id")
    )


async def item(actor: Actor, item_id: int) -> CatalogueItem:
    found = await CatalogueItem.get_or_none(id=item_id, organization_id=actor.organization_id)
    if found is None:
        raise NotFound(("id",))
    return found


async def prices_of(item_ids: list[int]) -> list[list[CatalogueItemPrice]]:
    found: dict[int, list[CatalogueItemPrice]] = defaultdict(list)
    rows = CatalogueItemPrice.filter(item_id__in=item_ids).select_related("plan", "group")
    for row in await rows.order_by("id"):
        found[row.item_id].append(row)
    return [found[pk] for pk in item_ids]


# Slots


def _check_slot(
    starts_at: datetime, ends_at: datetime, capacity: int, errors: ErrorCollector
) -> None:
    if ends_at <= starts_at:
        errors.add(UserErrorCode.INVALID, ("input", "ends_at"), N_("A slot ends after it starts."))
    if not 0 < capacity <= MAX_CAPACITY:
        errors.add(
            UserErrorCode.INVALID,
            ("input", "capacity"),
            N_("The capacity is from 1 to {max}."),
            max=MAX_CAPACITY,
        )


async def slot_create(
    actor: Actor, item_id: int, starts_at: datetime, ends_at: datetime, capacity: int
) -> CatalogueSlot:
    errors = ErrorCollector()
    _check_slot(starts_at, ends_at, capacity, errors)
    errors.raise_if_any()
    async with unit_of_work():
        item = await locked_row(CatalogueItem, actor, item_id, ("input", "item_id"))
        if item.kind is not ItemKind.ACTIVITY:
            raise UserErrors.single(
                UserErrorCode.INVALID, ("input", "item_id"), N_("Only activities have slots.")
            )
        slot = await CatalogueSlot.create(
            item_id=item.id, starts_at=starts_at, ends_at=ends_at, capacity=capacity
        )
        after = {"starts_at": starts_at.isoformat(), "capacity": capacity}
        await audit_event(actor, "catalogue_slot.create", ("CatalogueSlot", slot.id), after=after)
    return slot


async def locked_slot(actor, slot_id: int, field) -> CatalogueSlot:
    slot = (
        await CatalogueSlot.filter(id=slot_id, item__organization_id=actor.organization_id)
        .select_for_update()
        .first()
    )
    if slot is None:
        raise NotFound(field)
    return slot


async def active_bookings(slot_id: int) -> int:
    return await Booking.filter(slot_id=slot_id, status=HoldingStatus.ACTIVE).count()


async def slot_update(
    actor: Actor,
    slot_id: int,
    starts_at: datetime | None,
    ends_at: datetime | None,
    capacity: int | None,
) -> CatalogueSlot:
    async with unit_of_work():
        slot = await locked_slot(actor, slot_id, ("input", "slot_id"))
        errors = ErrorCollector()
        new = (
            slot.starts_at if starts_at is None else starts_at,
            slot.ends_at if ends_at is None else ends_at,
            slot.capacity if capacity is None else capacity,
        )
        _check_slot(*new, errors)
        if capacity is not None and capacity < await active_bookings(slot.id):
            errors.add(
                UserErrorCode.INVALID,
                ("input", "capacity"),
                N_("More bookings than that are held: cancel some first."),
            )
        errors.raise_if_any()
        slot.starts_at, slot.ends_at, slot.capacity = new
        await slot.save(update_fields=["starts_at", "ends_at", "capacity", "updated_at"])
        if starts_at is not None:  # bookings count toward quotas by their slot's start
            await Booking.filter(slot_id=slot.id).update(starts_at=slot.starts_at)
        after = {"starts_at": slot.starts_at.isoformat(), "capacity": slot.capacity}
        await audit_event(actor, "catalogue_slot.update", ("CatalogueSlot", slot.id), after=after)
    return slot


async def slot_delete(actor: Actor, slot_id: int) -> int:
    async with unit_of_work():
        slot = await locked_slot(actor, slot_id, ("input", "slot_id"))
        if await Booking.filter(slot_id=slot.id).exists():
            raise UserErrors.single(
                UserErrorCode.INVALID,
                ("input", "slot_id"),
                N_("This slot has bookings: it stays, with them."),
            )
        await slot.delete()
        await audit_event(actor, "catalogue_slot.delete", ("CatalogueSlot", slot_id))
    return slot.item_id


async def slots_of(item_ids: list[int]) -> list[list[CatalogueSlot]]:
    found: dict[int, list[CatalogueSlot]] = defaultdict(list)
    for row in await CatalogueSlot.filter(item_id__in=item_ids).order_by("starts_at", "id"):
        found[row.item_id].append(row)
    return [found[pk] for pk in item_ids]


async def booked_counts(slot_ids: list[int]) -> list[int]:
    rows = await Booking.filter(slot_id__in=slot_ids, status=HoldingStatus.ACTIVE).values_list(
        "slot_id", flat=True
    )
    counts: dict[int, int] = defaultdict(int)
    for pk in rows:
        counts[pk] += 1
    return [counts[pk] for pk in slot_ids]
