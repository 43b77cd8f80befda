"""Authorization-matrix examples for plans, subscriptions, the catalogue, bookings and
purchases (see tests/support/authz.py). Each call builds its own records."""

from __future__ import annotations

from itertools import count

from models.catalogue import Booking, Purchase, Subscription, SubscriptionStatus
from resolvers.common.time import now
from tests.catalogue.flows import ERRORS, a_household, a_plan, a_slot, an_item, gid
from tests.support.authz import example
from tests.support.contacts import new_contact, organization_id

_serial = count()


async def a_plan_and_contact(world, caller):
    plan = await a_plan(world.organization)
    contact = await new_contact(world.organization)
    return {"id": gid("Plan", plan), "contact": gid("Contact", contact)}


async def an_item_and_contact(world, caller):
    item = await an_item(world.organization)
    contact = await new_contact(world.organization)
    return {"id": gid("CatalogueItem", item), "contact": gid("Contact", contact)}


async def a_member(world, caller):
    _, _, link = await a_household(world.organization)
    return {"id": gid("AccountContact", link)}


async def a_member_and_plan(world, caller):
    _, _, link = await a_household(world.organization)
    plan = await a_plan(world.organization)
    return {"member": gid("AccountContact", link), "plan": gid("Plan", plan)}


async def a_subscription(world, caller):
    _, _, link = await a_household(world.organization)
    plan = await a_plan(world.organization)
    subscription = await Subscription.create(
        organization=world.organization,
        plan=plan,
        member=link,
        contact_id=link.contact_id,
        interval="MONTHLY",
        status=SubscriptionStatus.ACTIVE,
        current_period_start=now(),
        current_period_end=now(),
        unit_amount=5000,
        currency="CAD",
    )
    return {"id": gid("PlanSubscription", subscription)}


async def a_slot_and_member(world, caller):
    _, _, link = await a_household(world.organization)
    slot = await a_slot(world.organization)
    return {
        "slot": gid("CatalogueSlot", slot),
        "member": gid("AccountContact", link),
        "item": gid("CatalogueItem", await slot.item),
    }


async def a_booking(world, caller):
    _, _, link = await a_household(world.organization)
    slot = await a_slot(world.organization)
    booking = await Booking.create(
        slot=slot, member=link, contact_id=link.contact_id, starts_at=slot.starts_at
    )
    return {"id": gid("Booking", booking)}


async def a_purchase(world, caller):
    account, _, link = await a_household(world.organization)
    item = await an_item(world.organization)
    purchase = await Purchase.create(
        organization=world.organization,
        account=account,
        member=link,
        item=item,
        unit_amount=100,
        currency="CAD",
    )
    return {"id": gid("Purchase", purchase)}


async def a_group(world, caller):
    from models.groups import Group

    group = await Group.create(organization=world.organization, name=f"G{next(_serial)}")
    return {"id": gid("Group", group)}


example(
    "Query.plans",
    "query($organizationId: ID!) { plans(organizationId: $organizationId) "
    "{ totalCount edges { node { id name prices { interval amount } } } } }",
    organization_id,
)
example("Query.plan", "query($id: ID!) { plan(id: $id) { id name } }", a_plan_and_contact)
example(
    "Plan.priceFor",
    "query($id: ID!, $contact: ID!) { priceFor: plan(id: $id) "
    "{ priceFor(contactId: $contact, interval: MONTHLY) { amount currency } } }",
    a_plan_and_contact,
)
example(
    "Mutation.planCreate",
    "mutation($organizationId: ID!) { planCreate(input: {organizationId: $organizationId, "
    'name: "Gold", currency: "CAD", prices: [{interval: MONTHLY, amount: 100}]}) '
    f"{{ plan {{ id }} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.planUpdate",
    'mutation($id: ID!) { planUpdate(input: {planId: $id, name: "Silver"}) '
    f"{{ plan {{ id }} {ERRORS} }} }}",
    a_plan_and_contact,
)
example(
    "Mutation.planArchive",
    f"mutation($id: ID!) {{ planArchive(input: {{planId: $id}}) {{ plan {{ id }} {ERRORS} }} }}",
    a_plan_and_contact,
)
example(
    "Mutation.subscriptionCreate",
    "mutation($member: ID!, $plan: ID!) { subscriptionCreate(input: {memberId: $member, "
    f"planId: $plan, interval: MONTHLY}}) {{ subscription {{ id }} {ERRORS} }} }}",
    a_member_and_plan,
)
example(
    "Mutation.subscriptionCancel",
    "mutation($id: ID!) { subscriptionCancel(input: {subscriptionId: $id}) "
    f"{{ subscription {{ id }} {ERRORS} }} }}",
    a_subscription,
)
example(
    "Mutation.subscriptionPaymentSourceSet",
    "mutation($id: ID!) { subscriptionPaymentSourceSet(input: {subscriptionId: $id, "
    f'paymentSource: "tok_visa"}}) {{ subscription {{ id }} {ERRORS} }} }}',
    a_subscription,
)


async def a_family_subscription(world, caller):
    account, primary, link = await a_household(world.organization)
    plan = await a_plan(world.organization)
    subscription = await Subscription.create(
        organization=world.organization,
        plan=plan,
        member=primary,
        contact_id=primary.contact_id,
        account=account,
        covers_account=True,
        interval="MONTHLY",
        status=SubscriptionStatus.ACTIVE,
        current_period_start=now(),
        current_period_end=now(),
        unit_amount=5000,
        currency="CAD",
    )
    return {"id": gid("PlanSubscription", subscription), "member": gid("AccountContact", link)}


example(
    "Mutation.familyCoverCancel",
    "mutation($id: ID!, $member: ID!) { familyCoverCancel(input: {subscriptionId: $id, "
    f"memberId: $member}}) {{ subscription {{ id }} {ERRORS} }} }}",
    a_family_subscription,
)
example(
    "Query.catalogueItems",
    "query($organizationId: ID!) { catalogueItems(organizationId: $organizationId, "
    "kind: ACTIVITY) { edges { node { id name slots { id bookedCount } } } } }",
    organization_id,
)
example(
    "CatalogueItem.priceFor",
    "query($id: ID!, $contact: ID!) { priceFor: node(id: $id) { ... on CatalogueItem "
    "{ priceFor(contactId: $contact) { amount } } } }",
    an_item_and_contact,
)
example(
    "Query.catalogueItem",
    "query($id: ID!) { catalogueItem(id: $id) { id name prices { amount } } }",
    an_item_and_contact,
)
example(
    "Query.groupBookingQuotas",
    "query($organizationId: ID!) { groupBookingQuotas(organizationId: $organizationId) "
    "{ period maxBookings } }",
    organization_id,
)
example(
    "Mutation.catalogueItemCreate",
    "mutation($organizationId: ID!) { catalogueItemCreate(input: {organizationId: "
    '$organizationId, kind: MERCHANDISE, name: "Cap", amount: 1500, currency: "CAD"}) '
    f"{{ item {{ id }} {ERRORS} }} }}",
    organization_id,
)
example(
    "Mutation.catalogueItemUpdate",
    'mutation($id: ID!) { catalogueItemUpdate(input: {itemId: $id, name: "Hat"}) '
    f"{{ item {{ id }} {ERRORS} }} }}",
    an_item_and_contact,
)
example(
    "Mutation.catalogueItemArchive",
    "mutation($id: ID!) { catalogueItemArchive(input: {itemId: $id}) "
    f"{{ item {{ id }} {ERRORS} }} }}",
    an_item_and_contact,
)
example(
    "Mutation.catalogueSlotCreate",
    "mutation($id: ID!) { catalogueSlotCreate(input: {itemId: $id, "
    'startsAt: "2031-01-01T10:00:00Z", endsAt: "2031-01-01T11:00:00Z", capacity: 4}) '
    f"{{ slot {{ id }} {ERRORS} }} }}",
    an_item_and_contact,
)
example(
    "Mutation.catalogueSlotUpdate",
    "mutation($slot: ID!) { catalogueSlotUpdate(input: {slotId: $slot, capacity: 9}) "
    f"{{ slot {{ id }} {ERRORS} }} }}",
    a_slot_and_member,
)
example(
    "Mutation.catalogueSlotDelete",
    "mutation($slot: ID!) { catalogueSlotDelete(input: {slotId: $slot}) "
    f"{{ deletedSlotId {ERRORS} }} }}",
    a_slot_and_member,
)
example(
    "Mutation.groupBookingQuotaSet",
    "mutation($id: ID!) { groupBookingQuotaSet(input: {groupId: $id, period: WEEK, "
    f"maxBookings: 2}}) {{ quota {{ maxBookings }} {ERRORS} }} }}",
    a_group,
)
example(
    "Query.member",
    "query($id: ID!) { member(id: $id) { id purchases { id } bookings { id } "
    "subscriptions { id } } }",
    a_member,
)
example(
    "Mutation.bookingCreate",
    "mutation($slot: ID!, $member: ID!) { bookingCreate(input: {slotId: $slot, "
    f"memberId: $member}}) {{ booking {{ id }} {ERRORS} }} }}",
    a_slot_and_member,
)
example(
    "Mutation.bookingCancel",
    "mutation($id: ID!) { bookingCancel(input: {bookingId: $id}) "
    f"{{ booking {{ id status }} {ERRORS} }} }}",
    a_booking,
)
example(
    "Mutation.purchaseCreate",
    "mutation($item: ID!, $member: ID!) { purchaseCreate(input: {itemId: $item, "
    f"memberId: $member}}) {{ purchase {{ id }} {ERRORS} }} }}",
    a_slot_and_member,
)
example(
    "Mutation.purchaseCancel",
    "mutation($id: ID!) { purchaseCancel(input: {purchaseId: $id}) "
    f"{{ purchase {{ id status }} {ERRORS} }} }}",
    a_purchase,
)
example(
    "Query.shopItems",
    "query($organizationId: ID!) { shopItems(organizationId: $organizationId) "
    "{ edges { node { itemId name amount slots { id placesLeft } } } } }",
    organization_id,
)
