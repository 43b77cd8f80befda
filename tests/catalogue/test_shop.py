"""The online shop: a signed-in client sees an organization's items on sale and the slots
still to come with the places left, then buys and books with their ids."""

from datetime import UTC, datetime

from models.catalogue import Booking, ItemKind
from tests.catalogue.flows import BOOK, BUY, a_household, a_slot, an_item, gid
from tests.support.world import make_member

SHOP = """query($o: ID!, $kind: CatalogueItemKind) { shopItems(organizationId: $o, kind: $kind) {
  edges { node { itemId kind name amount currency slots { id placesLeft } } } } }"""


async def test_a_client_browses_the_shop_then_buys_and_books(api, world, password_hash):
    parent = await make_member("parent@example.test", password_hash, None, None)
    _, _, child = await a_household(world.organization, user=parent.user)
    _, _, other = await a_household(world.organization)
    court = await an_item(world.organization, ItemKind.ACTIVITY, amount=2000)
    slot = await a_slot(world.organization, capacity=2, item=court)
    await a_slot(world.organization, days=-2, item=court)  # past: not shown
    await Booking.create(slot=slot, member=other, contact_id=other.contact_id,
                         starts_at=slot.starts_at)  # fmt: skip
    cap = await an_item(world.organization, ItemKind.MERCHANDISE, amount=1500)
    retired = await an_item(world.organization, ItemKind.MERCHANDISE)
    retired.archived_at = datetime(2030, 1, 1, tzinfo=UTC)
    await retired.save()
    await an_item(world.other_organization)
    result = await api.as_(parent).execute(SHOP, {"o": world.org_gid, "kind": None})
    shown = [e["node"] for e in result.data["shopItems"]["edges"]]
    assert sorted((n["name"], n["amount"]) for n in shown) == sorted(
        [(court.name, 2000), (cap.name, 1500)]
    )
    [activity] = [n for n in shown if n["kind"] == "ACTIVITY"]
    assert activity["slots"] == [{"id": gid("CatalogueSlot", slot), "placesLeft": 1}]
    member = gid("AccountContact", child)
    booked = await api.as_(parent).execute(
        BOOK, {"input": {"slotId": activity["slots"][0]["id"], "memberId": member}}
    )
    booked.ok("bookingCreate")
    [merchandise] = [n for n in shown if n["kind"] == "MERCHANDISE"]
    bought = await api.as_(parent).execute(
        BUY, {"input": {"itemId": merchandise["itemId"], "memberId": member}}
    )
    assert bought.ok("purchaseCreate")["purchase"]["unitAmount"] == 1500
    again = await api.as_(parent).execute(SHOP, {"o": world.org_gid, "kind": "ACTIVITY"})
    [node] = [e["node"] for e in again.data["shopItems"]["edges"]]
    assert node["slots"][0]["placesLeft"] == 0


async def test_the_shop_needs_a_sign_in_and_a_real_organization(api, world):
    anonymous = await api.as_(None).execute(SHOP, {"o": world.org_gid, "kind": None})
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    missing = await api.as_(world.loner).execute(
        SHOP, {"o": gid("Organization", type("Gone", (), {"id": 999999})()), "kind": None}
    )
    assert missing.error_codes == ["NOT_FOUND"]
