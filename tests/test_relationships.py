"""Relationship roles: a field requiring `permission` OR `relationship` lets in staff whose
role has the permission and anyone holding the relationship to the record at hand, as
decided by the check its domain registered (resolvers.common.relationships).

Accounts and teams register theirs later; here SELF (registered by identity) and a
relationship registered by this test prove the directive, the registry and the principal
handed to the body.
"""

from __future__ import annotations

import pytest
import strawberry

from models.contacts import Contact
from models.identity import User
from resolvers.common import relationships
from resolvers.common.errors import ApiError
from resolvers.common.permissions import Permission, Relationship
from schema import ids
from schema.context import Context
from schema.permissions import RequiresPermission, requires
from tests.support.contacts import gid, new_contact


@strawberry.type
class Card:
    """A contact's card, as an account contact would see it (`self` is the Contact)."""

    @strawberry.field(
        **requires(Permission.CONTACTS_WRITE, relationship=Relationship.ACCOUNT_CONTACT)
    )
    async def notes(self, info: strawberry.Info) -> str:
        principal = info.context.principal(info)
        granted_by = "role" if principal.can(Permission.CONTACTS_WRITE) else "relationship"
        return f"{self.notes} ({granted_by})"


@strawberry.type
class Profile:
    """A user's profile (`self` is the User): private notes only they see."""

    @strawberry.field(**requires(relationship=Relationship.SELF))
    async def private_email(self, info: strawberry.Info) -> str:
        return self.email


@strawberry.type
class Query:
    @strawberry.field(
        **requires(Permission.CONTACTS_WRITE, relationship=Relationship.ACCOUNT_CONTACT)
    )
    async def contact_notes(self, info: strawberry.Info, id: strawberry.ID) -> str:
        principal = info.context.principal(info)
        contact = await Contact.get(id=ids.decode(id)[1])
        held = sorted(r.value for r in principal.relationships)
        return f"{contact.notes} ({held}, staff: {bool(principal.staff)})"

    @strawberry.field
    async def card(self, id: strawberry.ID) -> Card:
        return await Contact.get(id=ids.decode(id)[1])

    @strawberry.field
    async def profile(self, id: strawberry.ID) -> Profile:
        return await User.get(id=ids.decode(id)[1])


TEST_SCHEMA = strawberry.Schema(query=Query, schema_directives=[RequiresPermission])


async def _linked_contact(user: User, contact: Contact) -> bool:
    return contact.user_id == user.id


@pytest.fixture
def account_contacts():
    """ACCOUNT_CONTACT of a Contact, for this test only: the contact linked to the user."""
    relationships.register(Relationship.ACCOUNT_CONTACT, Contact, _linked_contact)
    yield
    relationships.unregister(Relationship.ACCOUNT_CONTACT, Contact)


async def run(settings, user: User | None, query: str, **variables) -> tuple[dict | None, list]:
    result = await TEST_SCHEMA.execute(
        query, variable_values=variables, context_value=Context(settings=settings, user=user)
    )
    codes = [getattr(e.original_error, "code", repr(e)) for e in result.errors or []]
    assert all(isinstance(e.original_error, ApiError) for e in result.errors or []), codes
    return result.data, codes


async def test_the_sdl_shows_both_ways_in():
    sdl = TEST_SCHEMA.as_str()
    assert (
        "contactNotes(id: ID!): String! "
        "@requiresPermission(permission: CONTACTS_WRITE, relationship: ACCOUNT_CONTACT)"
    ) in sdl


async def test_a_registered_relationship_grants_the_field(settings, world, account_contacts):
    client = await User.create(email="client@example.test", password_hash="x", first_name="C")
    stranger = await User.create(email="stranger@example.test", password_hash="x")
    contact = await new_contact(world.organization)
    await Contact.filter(id=contact.id).update(user_id=client.id, notes="Allergic to nuts")
    query = "query($id: ID!) { contactNotes(id: $id) }"
    data, codes = await run(settings, client, query, id=gid(contact))
    assert codes == [] and data == {
        "contactNotes": "Allergic to nuts (['ACCOUNT_CONTACT'], staff: False)"
    }
    expected = {
        stranger: "NOT_FOUND",  # nothing to the contact: as if it did not exist
        world.outsider.user: "NOT_FOUND",
        world.viewer.user: "FORBIDDEN",  # staff there, without the permission
        None: "UNAUTHENTICATED",
    }
    for caller, code in expected.items():
        data, codes = await run(settings, caller, query, id=gid(contact))
        assert codes == [code], caller
    data, codes = await run(settings, world.agent.user, query, id=gid(contact))
    assert data == {"contactNotes": "Allergic to nuts ([], staff: True)"}


async def test_without_its_check_the_relationship_grants_nothing(settings, world):
    client = await User.create(email="client@example.test", password_hash="x")
    contact = await new_contact(world.organization)
    await Contact.filter(id=contact.id).update(user_id=client.id)
    _, codes = await run(
        settings, client, "query($id: ID!) { contactNotes(id: $id) }", id=gid(contact)
    )
    assert codes == ["NOT_FOUND"]


async def test_the_record_at_hand_can_be_the_parent_object(settings, world, account_contacts):
    client = await User.create(email="client@example.test", password_hash="x")
    contact = await new_contact(world.organization)
    await Contact.filter(id=contact.id).update(user_id=client.id, notes="Vegetarian")
    query = "query($id: ID!) { card(id: $id) { notes } }"
    data, codes = await run(settings, client, query, id=gid(contact))
    assert codes == [] and data == {"card": {"notes": "Vegetarian (relationship)"}}
    data, _ = await run(settings, world.admin.user, query, id=gid(contact))
    assert data == {"card": {"notes": "Vegetarian (role)"}}
    _, codes = await run(settings, world.outsider.user, query, id=gid(contact))
    assert codes == ["NOT_FOUND"]


async def test_self_is_checked_on_the_record_too(settings, world):
    query = "query($id: ID!) { profile(id: $id) { privateEmail } }"
    me = world.agent.user
    data, codes = await run(settings, me, query, id=ids.encode("User", me.id))
    assert codes == [] and data == {"profile": {"privateEmail": me.email}}
    # Not themself: a colleague with every permission is refused as well.
    _, codes = await run(settings, world.owner.user, query, id=ids.encode("User", me.id))
    assert codes == ["NOT_FOUND"]


def test_a_relationship_is_registered_once_per_record_type():
    with pytest.raises(ValueError, match="already registered"):
        relationships.register(Relationship.SELF, User, _linked_contact)
    with pytest.raises(ValueError, match="depends on the caller only"):
        relationships.register(Relationship.AUTHENTICATED, Contact, _linked_contact)
