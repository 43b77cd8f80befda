"""The online shop (any signed-in user): an organization's catalogue on sale, to buy and
book from the client side with `purchaseCreate` and `bookingCreate`."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models.catalogue import ItemKind
from resolvers.catalogue import shop
from resolvers.common.permissions import Relationship
from schema import ids
from schema.catalogue.types import ItemKindEnum, PassKindEnum, loader
from schema.permissions import describe, requires
from schema.scope import decode_at
from schema.types import Connection


@strawberry.type(description="A slot still to come, with the places left.")
class ShopSlot:
    slot_pk: strawberry.Private[int]
    starts_at: datetime
    ends_at: datetime
    places_left: int

    @strawberry.field(description="The CatalogueSlot id, for bookingCreate.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("CatalogueSlot", self.slot_pk))


@strawberry.type(name="ShopItem", description="An item on sale, at its base price.")
class ShopItemType:
    kind: ItemKindEnum
    pass_kind: PassKindEnum | None
    name: str
    description: str
    amount: int = strawberry.field(description="The base price, in minor units.")
    currency: str

    @strawberry.field(description="The CatalogueItem id, for purchaseCreate.")
    def item_id(self) -> strawberry.ID:
        return strawberry.ID(ids.encode("CatalogueItem", self.id))

    @strawberry.field(description="An activity's slots still to come.")
    async def slots(self, info: strawberry.Info) -> list[ShopSlot]:
        found = await loader(info, "open_slots", shop.open_slots_of).load(self.id)
        return [
            ShopSlot(slot_pk=s.id, starts_at=s.starts_at, ends_at=s.ends_at, places_left=left)
            for s, left in found
        ]


@strawberry.type
class ShopQuery:
    @strawberry.field(
        **describe(
            "An organization's catalogue on sale, by name: what clients buy and book online.",
            requires(relationship=Relationship.AUTHENTICATED),
        )
    )
    async def shop_items(
        self,
        organization_id: strawberry.ID,
        kind: ItemKindEnum | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[ShopItemType]:
        type_name, pk = decode_at(organization_id, ("organizationId",))
        page = await shop.items(
            pk if type_name == "Organization" else ids.NO_ROW,
            ItemKind(kind) if kind else None,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        return Connection.of(page)
