"""Purchases ("Achats"): staff on a client's behalf, or the account's primary online (an
adult of at least 18); family passes cover the account; each records the price charged;
cancellations stay listed per member; `invoice_lines` says what to invoice."""

from datetime import date

from models.audit import AuditEvent
from models.catalogue import (
    CatalogueItemPrice,
    HoldingStatus,
    ItemKind,
    PassKind,
    Purchase,
)
from models.groups import Group, GroupMember
from resolvers.catalogue.purchases import invoice_lines
from tests.catalogue.flows import BUY, ERRORS, MEMBER, a_household, an_item, gid
from tests.support.world import make_member

CANCEL = f"""mutation($id: ID!) {{ purchaseCancel(input: {{purchaseId: $id}}) {{
  purchase {{ status canceledAt }} {ERRORS} }} }}"""


def _buy(item, member, quantity=1):
    return {
        "input": {
            "itemId": gid("CatalogueItem", item),
            "memberId": gid("AccountContact", member),
            "quantity": quantity,
        }
    }


async def test_staff_buy_on_behalf_at_the_members_best_price(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE, amount=2500)
    juniors = await Group.create(organization=world.organization, name="Juniors")
    await CatalogueItemPrice.create(item=item, group=juniors, amount=1800)
    await GroupMember.create(group=juniors, contact_id=member.contact_id)
    result = await api.as_(world.billing_admin).execute(BUY, _buy(item, member, 3))
    purchase = result.ok("purchaseCreate")["purchase"]
    assert purchase == {
        "id": purchase["id"],
        "unitAmount": 1800,
        "currency": "CAD",
        "quantity": 3,
        "totalAmount": 5400,
        "coversAccount": False,
        "status": "ACTIVE",
    }
    # A later price change leaves what was charged as it was.
    await CatalogueItemPrice.filter(item=item).update(amount=1)
    row = await Purchase.get()
    assert row.unit_amount == 1800
    [line] = await invoice_lines(row)
    assert (line.description, line.quantity, line.unit_amount, line.amount, line.currency) == (
        item.name,
        3,
        1800,
        5400,
        "CAD",
    )
    event = await AuditEvent.get(action="billing.purchase.create")
    assert event.after["client_side"] is False and event.after["unit_amount"] == 1800


async def test_a_family_pass_covers_every_member_of_the_account(api, world):
    account, primary, child = await a_household(world.organization)
    family = await an_item(world.organization, ItemKind.PASS, 9000, PassKind.FAMILY)
    staff = api.as_(world.billing_admin)
    bought = await staff.execute(BUY, _buy(family, primary))
    assert bought.ok("purchaseCreate")["purchase"]["coversAccount"] is True
    twice = await staff.execute(BUY, _buy(family, primary, 2))
    assert twice.payload_codes("purchaseCreate") == ["INVALID"]
    for member in (primary, child):
        listed = await staff.execute(MEMBER, {"id": gid("AccountContact", member)})
        assert [p["coversAccount"] for p in listed.data["member"]["purchases"]] == [True]
    _, _, stranger = await a_household(world.organization)
    listed = await staff.execute(MEMBER, {"id": gid("AccountContact", stranger)})
    assert listed.data["member"]["purchases"] == []
    [line] = await invoice_lines(await Purchase.get())
    assert line.description == f"{family.name} (family)"


async def test_cancellations_stay_listed_per_member_and_are_not_invoiced(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MEMBERSHIP)
    staff = api.as_(world.billing_admin)
    first = (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")["purchase"]
    second = (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")["purchase"]
    canceled = await staff.execute(CANCEL, {"id": first["id"]})
    assert canceled.ok("purchaseCancel")["purchase"]["status"] == "CANCELED"
    again = await staff.execute(CANCEL, {"id": first["id"]})
    assert again.payload_codes("purchaseCancel") == ["ALREADY_CANCELED"]
    listed = await staff.execute(MEMBER, {"id": gid("AccountContact", member)})
    assert [(p["id"], p["status"]) for p in listed.data["member"]["purchases"]] == [
        (second["id"], "ACTIVE"),
        (first["id"], "CANCELED"),
    ]
    assert await invoice_lines(await Purchase.get(status=HoldingStatus.CANCELED)) == []


async def test_bad_purchases_are_refused_and_nothing_is_written(api, world):
    _, _, member = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE)
    staff = api.as_(world.billing_admin)
    for quantity in (0, -2, 101):
        result = await staff.execute(BUY, _buy(item, member, quantity))
        assert result.payload_codes("purchaseCreate") == ["INVALID"]
    french = await staff.execute(BUY, _buy(item, member, 0), **{"accept-language": "fr"})
    assert french.payload("purchaseCreate")["errors"][0]["message"] == "La quantité va de 1 à 100."
    item.archived_at = item.created_at
    await item.save()
    result = await staff.execute(BUY, _buy(item, member))
    assert result.payload_codes("purchaseCreate") == ["ARCHIVED"]
    assert await Purchase.all().count() == 0


async def test_the_adult_primary_buys_online_for_their_members(api, world, password_hash):
    parent = await make_member("parent@example.test", password_hash, None, None)
    _, _, child = await a_household(world.organization, user=parent.user)
    item = await an_item(world.organization, ItemKind.MERCHANDISE)
    bought = await api.as_(parent).execute(BUY, _buy(item, child))
    purchase = bought.ok("purchaseCreate")["purchase"]
    listed = await api.as_(parent).execute(MEMBER, {"id": gid("AccountContact", child)})
    assert [p["id"] for p in listed.data["member"]["purchases"]] == [purchase["id"]]
    assert (await AuditEvent.get(action="billing.purchase.create")).after["client_side"] is True
    # Canceling is the staff's.
    refused = await api.as_(parent).execute(CANCEL, {"id": purchase["id"]})
    assert refused.payload_codes("purchaseCancel") == ["NOT_FOUND"]
    assert await Purchase.filter(status=HoldingStatus.ACTIVE).count() == 1


async def test_a_primary_under_18_cannot_buy(api, world, password_hash):
    teen = await make_member("teen@example.test", password_hash, None, None)
    minor_birth = date(date.today().year - 16, 1, 1)
    _, _, member = await a_household(world.organization, holder_birth=minor_birth, user=teen.user)
    item = await an_item(world.organization, ItemKind.MERCHANDISE)
    result = await api.as_(teen).execute(BUY, _buy(item, member))
    [error] = result.payload("purchaseCreate")["errors"]
    assert (error["code"], error["message"]) == (
        "UNDER_AGE",
        "Only an adult of at least 18 can buy.",
    )
    french = await api.as_(teen).execute(BUY, _buy(item, member), **{"accept-language": "fr"})
    assert french.payload("purchaseCreate")["errors"][0]["message"] == (
        "Seul un adulte d'au moins 18 ans peut acheter."
    )
    # Staff may still buy on the household's behalf.
    (await api.as_(world.billing_admin).execute(BUY, _buy(item, member))).ok("purchaseCreate")
    assert await Purchase.all().count() == 1


async def test_another_organizations_item_or_member_is_not_found(api, world, password_hash):
    _, _, mine = await a_household(world.organization)
    _, _, theirs = await a_household(world.other_organization)
    my_item = await an_item(world.organization)
    their_item = await an_item(world.other_organization)
    staff = api.as_(world.owner)
    result = await staff.execute(BUY, _buy(their_item, mine))
    assert [e["field"] for e in result.payload("purchaseCreate")["errors"]] == [["input", "itemId"]]
    result = await staff.execute(BUY, _buy(my_item, theirs))
    assert result.payload_codes("purchaseCreate") == ["NOT_FOUND"]
    parent = await make_member("parent@example.test", password_hash, None, None)
    await a_household(world.organization, user=parent.user)
    result = await api.as_(parent).execute(BUY, _buy(my_item, mine))
    assert result.payload_codes("purchaseCreate") == ["NOT_FOUND"]
    assert await Purchase.all().count() == 0


async def test_a_members_lists_cost_the_same_statements_however_long(api, world):
    from carnet.statements import count_statements
    from tests.catalogue.flows import a_slot

    _, _, few = await a_household(world.organization)
    _, _, many = await a_household(world.organization)
    item = await an_item(world.organization, ItemKind.MERCHANDISE)
    staff = api.as_(world.billing_admin)
    for member, count in ((few, 1), (many, 6)):
        for _ in range(count):
            (await staff.execute(BUY, _buy(item, member))).ok("purchaseCreate")
            slot = await a_slot(world.organization)
            from tests.catalogue.flows import BOOK

            book = {"input": {"slotId": gid("CatalogueSlot", slot),
                              "memberId": gid("AccountContact", member)}}  # fmt: skip
            (await staff.execute(BOOK, book)).ok("bookingCreate")
    counts = []
    for member in (few, many):
        with count_statements() as statements:
            result = await staff.execute(MEMBER, {"id": gid("AccountContact", member)})
        assert not result.errors, result.errors
        counts.append(len(statements))
    assert counts[0] == counts[1]
