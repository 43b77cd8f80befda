"""Bookings: a slot's capacity, under concurrency too, and the groups' quotas per week or
month, refused with QUOTA_EXCEEDED naming the group and its quota."""

import asyncio
from datetime import timedelta

from models.audit import AuditEvent
from models.catalogue import Booking, CatalogueSlot, HoldingStatus
from models.groups import Group, GroupMember
from tests.catalogue.flows import BOOK, ERRORS, MEMBER, a_household, a_slot, an_item, gid
from tests.support.world import make_member

QUOTA = f"""mutation($input: GroupBookingQuotaSetInput!) {{ groupBookingQuotaSet(input: $input) {{
  quota {{ period maxBookings group {{ name }} }} {ERRORS} }} }}"""
CANCEL = f"""mutation($id: ID!) {{ bookingCancel(input: {{bookingId: $id}}) {{
  booking {{ status canceledAt }} {ERRORS} }} }}"""


def _book(slot, member):
    return {
        "input": {"slotId": gid("CatalogueSlot", slot), "memberId": gid("AccountContact", member)}
    }


async def _slots_of_one_week(world, count):
    """`count` slots of one activity on the same day, a week from now (same week, month
    aside: the quota is counted within the slot's own week)."""
    first = await a_slot(world.organization, capacity=10, days=14)
    slots = [first]
    for hour in range(1, count):
        slots.append(
            await CatalogueSlot.create(
                item_id=first.item_id,
                starts_at=first.starts_at + timedelta(seconds=hour),
                ends_at=first.ends_at + timedelta(seconds=hour),
                capacity=10,
            )
        )
    return slots


async def test_staff_book_a_slot_and_the_member_lists_it(api, world):
    _, _, member = await a_household(world.organization)
    slot = await a_slot(world.organization)
    result = await api.as_(world.billing_admin).execute(BOOK, _book(slot, member))
    booking = result.ok("bookingCreate")["booking"]
    assert booking["status"] == "ACTIVE"
    again = await api.as_(world.billing_admin).execute(BOOK, _book(slot, member))
    assert again.payload_codes("bookingCreate") == ["ALREADY_EXISTS"]
    canceled = await api.as_(world.billing_admin).execute(CANCEL, {"id": booking["id"]})
    assert canceled.ok("bookingCancel")["booking"]["status"] == "CANCELED"
    twice = await api.as_(world.billing_admin).execute(CANCEL, {"id": booking["id"]})
    assert twice.payload_codes("bookingCancel") == ["ALREADY_CANCELED"]
    listed = await api.as_(world.admin).execute(MEMBER, {"id": gid("AccountContact", member)})
    assert listed.data["member"]["bookings"] == [{"id": booking["id"], "status": "CANCELED"}]
    actions = set(await AuditEvent.all().values_list("action", flat=True))
    assert {"billing.booking.create", "billing.booking.cancel"} <= actions


async def test_a_full_slot_is_refused(api, world):
    slot = await a_slot(world.organization, capacity=1)
    staff = api.as_(world.billing_admin)
    _, _, first = await a_household(world.organization)
    _, _, second = await a_household(world.organization)
    (await staff.execute(BOOK, _book(slot, first))).ok("bookingCreate")
    full = await staff.execute(BOOK, _book(slot, second))
    assert full.payload_codes("bookingCreate") == ["SLOT_FULL"]
    await Booking.filter(member=first).update(status=HoldingStatus.CANCELED)
    (await staff.execute(BOOK, _book(slot, second))).ok("bookingCreate")


async def test_capacity_holds_under_concurrent_bookings(api, world):
    # On PostgreSQL the requests overlap; the slot's row lock orders them. Never a 500.
    slot = await a_slot(world.organization, capacity=2)
    members = [(await a_household(world.organization))[2] for _ in range(5)]
    staff = api.as_(world.billing_admin)
    results = await asyncio.gather(*(staff.execute(BOOK, _book(slot, m)) for m in members))
    codes = sorted(tuple(r.payload_codes("bookingCreate")) for r in results)
    assert codes == [(), (), ("SLOT_FULL",), ("SLOT_FULL",), ("SLOT_FULL",)]
    assert await Booking.filter(slot=slot, status=HoldingStatus.ACTIVE).count() == 2


async def test_a_groups_weekly_quota_is_refused_naming_it(api, world):
    juniors = await Group.create(organization=world.organization, name="Juniors")
    staff = api.as_(world.billing_admin)
    set_ = await staff.execute(
        QUOTA, {"input": {"groupId": gid("Group", juniors), "period": "WEEK", "maxBookings": 2}}
    )
    assert set_.ok("groupBookingQuotaSet")["quota"] == {
        "period": "WEEK",
        "maxBookings": 2,
        "group": {"name": "Juniors"},
    }
    _, _, member = await a_household(world.organization)
    await GroupMember.create(group=juniors, contact_id=member.contact_id)
    slots = await _slots_of_one_week(world, 4)
    for slot in slots[:2]:
        (await staff.execute(BOOK, _book(slot, member))).ok("bookingCreate")
    refused = await staff.execute(BOOK, _book(slots[2], member))
    [error] = refused.payload("bookingCreate")["errors"]
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["message"] == "The group Juniors allows 2 active bookings per week."
    french = await staff.execute(BOOK, _book(slots[2], member), **{"accept-language": "fr"})
    assert french.payload("bookingCreate")["errors"][0]["message"] == (
        "Le groupe Juniors permet 2 réservations actives par semaine."
    )
    # Another week is another count; a canceled booking frees its place.
    later = await CatalogueSlot.create(
        item_id=slots[0].item_id,
        starts_at=slots[0].starts_at + timedelta(days=7),
        ends_at=slots[0].ends_at + timedelta(days=7),
        capacity=3,
    )
    (await staff.execute(BOOK, _book(later, member))).ok("bookingCreate")
    first = await Booking.filter(slot=slots[0]).first()
    (await staff.execute(CANCEL, {"id": gid("Booking", first)})).ok("bookingCancel")
    (await staff.execute(BOOK, _book(slots[2], member))).ok("bookingCreate")
    # Someone outside the group is not held to its quota.
    _, _, outsider = await a_household(world.organization)
    for slot in slots:
        (await staff.execute(BOOK, _book(slot, outsider))).ok("bookingCreate")


async def test_a_monthly_quota_and_removing_it(api, world):
    seniors = await Group.create(organization=world.organization, name="Seniors")
    staff = api.as_(world.billing_admin)
    quota = {"groupId": gid("Group", seniors), "period": "MONTH", "maxBookings": 1}
    (await staff.execute(QUOTA, {"input": quota})).ok("groupBookingQuotaSet")
    _, _, member = await a_household(world.organization)
    await GroupMember.create(group=seniors, contact_id=member.contact_id)
    slots = await _slots_of_one_week(world, 2)
    (await staff.execute(BOOK, _book(slots[0], member))).ok("bookingCreate")
    refused = await staff.execute(BOOK, _book(slots[1], member))
    assert refused.payload("bookingCreate")["errors"][0]["message"] == (
        "The group Seniors allows 1 active booking per month."
    )
    removed = await staff.execute(QUOTA, {"input": {**quota, "maxBookings": None}})
    assert removed.ok("groupBookingQuotaSet")["quota"] is None
    (await staff.execute(BOOK, _book(slots[1], member))).ok("bookingCreate")
    bad = await staff.execute(QUOTA, {"input": {**quota, "maxBookings": -1}})
    assert bad.payload_codes("groupBookingQuotaSet") == ["INVALID"]


async def test_past_slots_and_archived_activities_are_not_bookable(api, world):
    _, _, member = await a_household(world.organization)
    past = await a_slot(world.organization, days=-1)
    staff = api.as_(world.billing_admin)
    result = await staff.execute(BOOK, _book(past, member))
    assert result.payload_codes("bookingCreate") == ["NOT_BOOKABLE"]
    item = await an_item(world.organization)
    slot = await a_slot(world.organization, item=item)
    item.archived_at = past.starts_at
    await item.save()
    result = await staff.execute(BOOK, _book(slot, member))
    assert result.payload_codes("bookingCreate") == ["NOT_BOOKABLE"]
    assert await Booking.all().count() == 0


async def test_the_primary_books_online_for_their_members_only(api, world, password_hash):
    parent = await make_member("parent@example.test", password_hash, None, None)
    _, primary, child = await a_household(world.organization, user=parent.user)
    _, _, someone_else = await a_household(world.organization)
    slot = await a_slot(world.organization)
    mine = await api.as_(parent).execute(BOOK, _book(slot, child))
    booking = mine.ok("bookingCreate")["booking"]
    listed = await api.as_(parent).execute(MEMBER, {"id": gid("AccountContact", child)})
    assert listed.data["member"]["bookings"] == [booking]
    (await api.as_(parent).execute(CANCEL, {"id": booking["id"]})).ok("bookingCancel")
    theirs = await api.as_(parent).execute(BOOK, _book(slot, someone_else))
    assert theirs.payload_codes("bookingCreate") == ["NOT_FOUND"]
    hidden = await api.as_(parent).execute(MEMBER, {"id": gid("AccountContact", someone_else)})
    assert hidden.error_codes == ["NOT_FOUND"]


async def test_another_organizations_slot_or_member_is_not_found(api, world):
    _, _, mine = await a_household(world.organization)
    _, _, theirs = await a_household(world.other_organization)
    my_slot = await a_slot(world.organization)
    their_slot = await a_slot(world.other_organization)
    staff = api.as_(world.owner)
    result = await staff.execute(BOOK, _book(their_slot, mine))
    assert [e["field"] for e in result.payload("bookingCreate")["errors"]] == [["input", "slotId"]]
    result = await staff.execute(BOOK, _book(my_slot, theirs))
    assert result.payload_codes("bookingCreate") == ["NOT_FOUND"]
    assert await Booking.all().count() == 0


async def test_a_quota_holds_under_concurrent_bookings_of_one_member(api, world):
    # Different slots, so only the contact's row lock orders them.
    juniors = await Group.create(organization=world.organization, name="Juniors")
    staff = api.as_(world.billing_admin)
    quota = {"groupId": gid("Group", juniors), "period": "WEEK", "maxBookings": 1}
    (await staff.execute(QUOTA, {"input": quota})).ok("groupBookingQuotaSet")
    _, _, member = await a_household(world.organization)
    await GroupMember.create(group=juniors, contact_id=member.contact_id)
    slots = await _slots_of_one_week(world, 4)
    results = await asyncio.gather(*(staff.execute(BOOK, _book(s, member)) for s in slots))
    codes = sorted(tuple(r.payload_codes("bookingCreate")) for r in results)
    assert codes == [(), ("QUOTA_EXCEEDED",), ("QUOTA_EXCEEDED",), ("QUOTA_EXCEEDED",)]
    assert await Booking.filter(member=member, status=HoldingStatus.ACTIVE).count() == 1
