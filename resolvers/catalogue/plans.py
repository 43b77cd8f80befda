"""Plans: a name, a currency, a base price per interval (ONE_OFF, MONTHLY, ANNUAL) and group
prices (billing.write to change them, billing.read to see them). What a contact pays is
pricing.plan_price_for's to say. An archived plan takes no new subscriptions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q

from carnet.i18n import N_
from models.catalogue import Plan, PlanGroupPrice, PlanPrice, PriceInterval
from resolvers.catalogue import pricing
from resolvers.catalogue.common import audit_event, clean_name
from resolvers.common.actor import Actor
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.locks import locked_row
from resolvers.common.pagination import Page, paginate
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now


@dataclass(frozen=True)
class PriceData:
    interval: PriceInterval
    amount: int


@dataclass(frozen=True)
class GroupPriceData:
    group_id: int
    interval: PriceInterval
    amount: int


def _check_prices(
    prices: Sequence[PriceData], group_prices: Sequence[GroupPriceData], errors: ErrorCollector
) -> None:
    seen: set[PriceInterval] = set()
    for index, price in enumerate(prices):
        pricing.check_amount(price.amount, errors, ("input", "prices", index, "amount"))
        if price.interval in seen:
            errors.add(
                UserErrorCode.DUPLICATE,
                ("input", "prices", index, "interval"),
                N_("One price per interval."),
            )
        seen.add(price.interval)
    pairs: set[tuple[int, PriceInterval]] = set()
    for index, price in enumerate(group_prices):
        pricing.check_amount(price.amount, errors, ("input", "group_prices", index, "amount"))
        if (price.group_id, price.interval) in pairs:
            errors.add(
                UserErrorCode.DUPLICATE,
                ("input", "group_prices", index, "interval"),
                N_("One price per group and interval."),
            )
        pairs.add((price.group_id, price.interval))


async def _write_prices(
    plan: Plan, prices: Sequence[PriceData] | None, group_prices: Sequence[GroupPriceData] | None
) -> None:
    if prices is not None:
        await PlanPrice.filter(plan_id=plan.id).delete()
        await PlanPrice.bulk_create(
            [PlanPrice(plan_id=plan.id, interval=p.interval, amount=p.amount) for p in prices]
        )
    if group_prices is not None:
        await PlanGroupPrice.filter(plan_id=plan.id).delete()
        await PlanGroupPrice.bulk_create(
            [
                PlanGroupPrice(
                    plan_id=plan.id, group_id=p.group_id, interval=p.interval, amount=p.amount
                )
                for p in group_prices
            ]
        )


def _prices_snapshot(prices, group_prices) -> dict:
    return {
        "prices": None if prices is None else [[p.interval.value, p.amount] for p in prices],
        "group_prices": None
        if group_prices is None
        else [[p.group_id, p.interval.value, p.amount] for p in group_prices],
    }


async def create(
    actor: Actor,
    name: str | None,
    currency: str | None,
    prices: Sequence[PriceData],
    group_prices: Sequence[GroupPriceData],
) -> Plan:
    errors = ErrorCollector()
    name = clean_name(name, errors)
    currency = pricing.clean_currency(currency, errors, ("input", "currency"))
    _check_prices(prices, group_prices, errors)
    errors.raise_if_any()
    async with unit_of_work():
        plan = await Plan.create(
            organization_id=actor.organization_id, name=name, currency=currency
        )
        await _write_prices(plan, prices, group_prices)
        after = {"name": name, "currency": currency, **_prices_snapshot(prices, group_prices)}
        await audit_event(actor, "plan.create", ("Plan", plan.id), after=after)
    return plan


async def update(
    actor: Actor,
    plan_id: int,
    name: str | None,
    prices: Sequence[PriceData] | None,
    group_prices: Sequence[GroupPriceData] | None,
) -> Plan:
    """`prices` and `group_prices`, when given, replace the plan's; existing subscriptions
    keep the price they were made at."""
    errors = ErrorCollector()
    if name is not None:
        name = clean_name(name, errors)
    _check_prices(prices or [], group_prices or [], errors)
    errors.raise_if_any()
    async with unit_of_work():
        plan = await locked_row(Plan, actor, plan_id, ("input", "plan_id"))
        before = {"name": plan.name}
        if name is not None:
            plan.name = name
            await plan.save(update_fields=["name", "updated_at"])
        await _write_prices(plan, prices, group_prices)
        after = {"name": plan.name, **_prices_snapshot(prices, group_prices)}
        await audit_event(actor, "plan.update", ("Plan", plan.id), before=before, after=after)
    return plan


async def archive(actor: Actor, plan_id: int) -> Plan:
    """Takes no new subscriptions; those under way go on. Archiving twice changes nothing."""
    async with unit_of_work():
        plan = await locked_row(Plan, actor, plan_id, ("input", "plan_id"))
        if plan.archived_at is None:
            plan.archived_at = now()
            await plan.save(update_fields=["archived_at", "updated_at"])
            await audit_event(actor, "plan.archive", ("Plan", plan.id))
    return plan


async def plans(
    actor: Actor, include_archived: bool, *, first=None, after=None, last=None, before=None
) -> Page:
    rows = Plan.filter(organization_id=actor.organization_id)
    if not include_archived:
        rows = rows.filter(archived_at__isnull=True)
    return await paginate(
        rows, first=first, after=after, last=last, before=before, order=("name", "id")
    )


async def plan(actor: Actor, plan_id: int) -> Plan:
    found = await Plan.get_or_none(id=plan_id, organization_id=actor.organization_id)
    if found is None:
        raise NotFound(("id",))
    return found


async def prices_of(plan_ids: list[int]) -> list[list[PlanPrice]]:
    found: dict[int, list[PlanPrice]] = defaultdict(list)
    for row in await PlanPrice.filter(plan_id__in=plan_ids).order_by("interval", "id"):
        found[row.plan_id].append(row)
    return [found[pk] for pk in plan_ids]


async def group_prices_of(plan_ids: list[int]) -> list[list[PlanGroupPrice]]:
    found: dict[int, list[PlanGroupPrice]] = defaultdict(list)
    rows = PlanGroupPrice.filter(Q(plan_id__in=plan_ids)).select_related("group")
    for row in await rows.order_by("group__name", "interval", "id"):
        found[row.plan_id].append(row)
    return [found[pk] for pk in plan_ids]
