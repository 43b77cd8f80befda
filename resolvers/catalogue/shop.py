"""The online shop: what any signed-in client sees of an organization's catalogue to buy
or book from the client side. Items on sale (not archived) at their base price, and the
slots still to come with the places left. Plan and group prices are not shown here (they
would name the organization's groups): a purchase records the price the buyer paid."""

from __future__ import annotations

from collections import defaultdict

from models.catalogue import Booking, CatalogueItem, CatalogueSlot, HoldingStatus, ItemKind
from models.organizations import Organization
from resolvers.common.errors import NotFound
from resolvers.common.pagination import Page, paginate
from resolvers.common.time import now


async def items(
    organization_id: int, kind: ItemKind | None, *, first=None, after=None, last=None, before=None
) -> Page:
    if not await Organization.filter(id=organization_id).exists():
        raise NotFound(("organizationId",))
    rows = CatalogueItem.filter(organization_id=organization_id, archived_at__isnull=True)
    if kind is not None:
        rows = rows.filter(kind=kind)
    return await paginate(
        rows, first=first, after=after, last=last, before=before, order=("name", "id")
    )


async def open_slots_of(item_ids: list[int]) -> list[list[tuple[CatalogueSlot, int]]]:
    """Each item's slots still to come, with the places left: two statements in all."""
    slots = await CatalogueSlot.filter(item_id__in=item_ids, starts_at__gt=now()).order_by(
        "starts_at", "id"
    )
    booked: dict[int, int] = defaultdict(int)
    held = await Booking.filter(
        slot_id__in=[s.id for s in slots] or [0], status=HoldingStatus.ACTIVE
    ).values_list("slot_id", flat=True)
    for pk in held:
        booked[pk] += 1
    found: dict[int, list[tuple[CatalogueSlot, int]]] = defaultdict(list)
    for slot in slots:
        found[slot.item_id].append((slot, max(slot.capacity - booked[slot.id], 0)))
    return [found[pk] for pk in item_ids]
