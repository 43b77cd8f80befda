"""The best-price rule, in one place, for plans and catalogue items alike.

The price a contact pays is the lowest of the candidates that apply to them:
- for a plan and interval: the plan's base price for that interval, and the prices of
  that plan and interval of every group the contact is in;
- for a catalogue item: the item's base price, its price for every group the contact is
  in, and its price for every plan the contact holds a live subscription to (TRIAL,
  ACTIVE or PAST_DUE).
On a tie the base price is the one named; between groups (or plans) that tie, the first
by name, then by id. A deleted group's prices are deleted with it, so they never apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import list_currencies

from carnet.i18n import N_
from models.catalogue import (
    LIVE_SUBSCRIPTION,
    CatalogueItem,
    CatalogueItemPrice,
    Plan,
    PlanGroupPrice,
    PlanPrice,
    PriceInterval,
    Subscription,
)
from models.groups import Group, GroupMember
from resolvers.common.errors import ErrorCollector, FieldPath, UserErrorCode

MAX_AMOUNT = 10**9  # minor units: ten million (dollars), within GraphQL's 32-bit Int
_CURRENCIES = frozenset(list_currencies())


@dataclass(frozen=True)
class Quote:
    """What a contact pays, and why: the group or plan whose price applied (neither for
    the base price)."""

    amount: int
    currency: str
    interval: PriceInterval | None = None
    group: Group | None = None
    plan: Plan | None = None


def best(base: Quote | None, others: list[tuple[str, int, Quote]]) -> Quote | None:
    """The lowest of the base quote and `others` ((name, id, quote)); ties as the module
    says: the base first, then by name and id."""
    ranked = sorted(others, key=lambda o: (o[2].amount, o[0].casefold(), o[1]))
    if not ranked:
        return base
    if base is None or ranked[0][2].amount < base.amount:
        return ranked[0][2]
    return base


def clean_currency(value: str | None, errors: ErrorCollector, field: FieldPath) -> str:
    code = (value or "").strip().upper()
    if code not in _CURRENCIES:
        errors.add(
            UserErrorCode.INVALID, field, N_("Give an ISO currency code, such as CAD or EUR.")
        )
    return code


def check_amount(value: int | None, errors: ErrorCollector, field: FieldPath) -> None:
    """Prices are integers in minor units (cents), zero (free) or more."""
    if value is None or value < 0 or value > MAX_AMOUNT:
        errors.add(
            UserErrorCode.INVALID,
            field,
            N_("Give an amount in cents, from 0 to {max}."),
            max=MAX_AMOUNT,
        )


async def groups_of(contact_id: int) -> list[int]:
    return list(await GroupMember.filter(contact_id=contact_id).values_list("group_id", flat=True))


async def plan_price_for(plan: Plan, contact_id: int, interval: PriceInterval) -> Quote | None:
    """Two statements; None when the plan has no price for the interval."""
    base_row = await PlanPrice.get_or_none(plan_id=plan.id, interval=interval)
    base = Quote(base_row.amount, plan.currency, interval) if base_row else None
    rows = await PlanGroupPrice.filter(
        plan_id=plan.id,
        interval=interval,
        group_id__in=[g for g in await groups_of(contact_id)] or [0],
    ).select_related("group")
    others = [
        (row.group.name, row.group.id, Quote(row.amount, plan.currency, interval, group=row.group))
        for row in rows
    ]
    return best(base, others)


async def live_plans_of(contact_id: int) -> list[int]:
    return list(
        await Subscription.filter(contact_id=contact_id, status__in=LIVE_SUBSCRIPTION)
        .distinct()
        .values_list("plan_id", flat=True)
    )


async def item_price_for(item: CatalogueItem, contact_id: int) -> Quote:
    base = Quote(item.amount, item.currency)
    group_ids = await groups_of(contact_id)
    plan_ids = await live_plans_of(contact_id)
    rows = await CatalogueItemPrice.filter(item_id=item.id).select_related("group", "plan")
    others = []
    for row in rows:
        if row.group_id is not None and row.group_id in group_ids:
            quote = Quote(row.amount, item.currency, group=row.group)
            others.append((row.group.name, row.group.id, quote))
        elif row.plan_id is not None and row.plan_id in plan_ids:
            quote = Quote(row.amount, item.currency, plan=row.plan)
            others.append((row.plan.name, row.plan.id, quote))
    return best(base, others)
