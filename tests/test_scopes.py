"""Declared scopes: each guarded field names the record its permission is checked against,
and every other id of an input is resolved in that record's organization, or NOT_FOUND on
its own path, with nothing written."""

from __future__ import annotations

import pytest
import strawberry

from carnet.settings import Settings
from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import Contact, ContactKind
from models.groups import Group
from resolvers.common.permissions import Permission
from schema import build_schema
from schema.permissions import Guard, requires
from tests.support.contacts import gid, new_contact
from tests.test_authorization import database_state


def unscoped_fields(graphql_schema) -> list[str]:
    """Guarded fields taking more than one id without saying which one they are checked
    against (the guard would otherwise have to guess)."""
    found = []
    for type_name, graphql_type in graphql_schema.type_map.items():
        for field_name, field in (getattr(graphql_type, "fields", None) or {}).items():
            definition = (field.extensions or {}).get("strawberry-definition")
            for guard in getattr(definition, "extensions", None) or []:
                if isinstance(guard, Guard) and len(guard.id_arguments) > 1:
                    if guard.declared_scope is None:
                        found.append(f"{type_name}.{field_name}")
    return found


def test_a_field_taking_more_than_one_id_declares_its_scope():
    assert unscoped_fields(build_schema(Settings())._schema) == []


def test_every_root_field_needing_a_role_knows_its_record():
    """Else the guard could only refuse it: a permission is held in an organization, and
    the scope is how a root field says which."""
    graphql_schema = build_schema(Settings())._schema
    roots = (graphql_schema.query_type, graphql_schema.mutation_type)
    without = []
    for root in (*roots, graphql_schema.subscription_type):
        for name, field in root.fields.items():
            definition = field.extensions["strawberry-definition"]
            for guard in definition.extensions:
                if isinstance(guard, Guard) and guard.allow.permission and guard.scope is None:
                    without.append(f"{root.name}.{name}")
    assert without == []


@strawberry.input
class PairInput:
    group_id: strawberry.ID
    contact_id: strawberry.ID


def test_the_scope_check_catches_a_field_with_two_ids_and_no_scope():
    @strawberry.type
    class Query:
        @strawberry.field(**requires(Permission.CONTACTS_READ))
        def guessed(self, input: PairInput) -> bool:
            return True

        @strawberry.field(**requires(Permission.CONTACTS_READ, scope="input.groupId"))
        def declared(self, input: PairInput) -> bool:
            return True

    assert unscoped_fields(strawberry.Schema(query=Query)._schema) == ["Query.guessed"]


def test_a_scope_naming_no_id_argument_is_refused_when_the_schema_is_built():
    @strawberry.type
    class Query:
        @strawberry.field(**requires(Permission.CONTACTS_READ, scope="input.name"))
        def misnamed(self, id: strawberry.ID) -> bool:
            return True

    # graphql-core re-raises it as a TypeError while it builds the schema
    with pytest.raises((RuntimeError, TypeError), match="scope input.name is no id"):
        strawberry.Schema(query=Query)


# Two ids: the permission is checked on the first; the second is another organization's.
FOREIGN_SECOND_ID = [
    (
        "groupAddContacts",
        "mutation($a: ID!, $b: ID!) { groupAddContacts(input: {groupId: $a, contactIds: [$b]}) "
        "{ addedCount errors { code field } } }",
        ["input", "contactIds", 0],
    ),
    (
        "contactColourSet",
        "mutation($a: ID!, $b: ID!) { contactColourSet(input: {contactId: $a, colourId: $b}) "
        "{ contact { id } errors { code field } } }",
        ["input", "colourId"],
    ),
    (
        "affiliationCreate",
        "mutation($a: ID!, $b: ID!) { affiliationCreate(input: {personId: $a, "
        "organizationContactId: $b}) { affiliation { id } errors { code field } } }",
        ["input", "organizationContactId"],
    ),
    (
        "contactDuplicateDismiss",
        "mutation($a: ID!, $b: ID!) { contactDuplicateDismiss(input: {firstId: $a, "
        "secondId: $b}) { duplicate { reasons } errors { code field } } }",
        ["input", "secondId"],
    ),
]


async def _ids(world, field: str) -> tuple[str, str]:
    mine, theirs = world.organization, world.other_organization
    if field == "groupAddContacts":
        return gid(await Group.create(organization=mine, name="Juniors")), gid(
            await new_contact(theirs)
        )
    if field == "contactColourSet":
        return gid(await new_contact(mine)), gid(
            await Colour.create(organization=theirs, name="Rouge", hex="#ff0000")
        )
    if field == "affiliationCreate":
        school = await new_contact(theirs, "École", kind=ContactKind.ORGANIZATION)
        return gid(await new_contact(mine)), gid(school)
    return gid(await new_contact(mine, "Zoé Roy")), gid(await new_contact(theirs, "Zoé Roy"))


@pytest.mark.parametrize(("field", "operation", "path"), FOREIGN_SECOND_ID)
async def test_a_foreign_second_id_is_not_found_on_its_path(api, world, field, operation, path):
    first, second = await _ids(world, field)
    before = await database_state()
    result = await api.as_(world.owner).execute(operation, {"a": first, "b": second})
    assert result.payload(field)["errors"] == [{"code": "NOT_FOUND", "field": path}]
    assert await database_state() == before


async def test_linking_a_contact_checks_the_user_as_well_as_the_contact(api, world):
    link = """mutation($c: ID!, $u: ID!) { contactUserLink(input: {contactId: $c, userId: $u})
      { contact { isUser } errors { code field } } }"""
    contact = await new_contact(world.organization)
    for user_id in (gid(contact), "VXNlcjo5OTk5OTk=", "@@"):  # a Contact, User:999999, junk
        result = await api.as_(world.agent).execute(link, {"c": gid(contact), "u": user_id})
        errors = result.payload("contactUserLink")["errors"]
        assert errors == [{"code": "NOT_FOUND", "field": ["input", "userId"]}], user_id
    assert await Contact.filter(user_id__not_isnull=True).count() == 0


async def test_a_malformed_id_in_an_input_is_a_payload_error_on_its_path(api, world):
    agent = api.as_(world.agent)
    contact = await new_contact(world.organization)
    add = """mutation($g: ID!, $c: [ID!]!) { groupAddContacts(input: {groupId: $g,
      contactIds: $c}) { addedCount errors { code field } } }"""
    group = await Group.create(organization=world.organization, name="Juniors")
    before = await database_state()
    cases = [
        ({"g": "%%%", "c": [gid(contact)]}, ["input", "groupId"]),
        ({"g": gid(group), "c": [gid(contact), "not an id"]}, ["input", "contactIds", 1]),
    ]
    for variables, path in cases:
        result = await agent.execute(add, variables)
        assert result.payload("groupAddContacts")["errors"] == [
            {"code": "NOT_FOUND", "field": path}
        ]
    update = """mutation { contactUpdate(input: {id: "%%%", firstName: "X"})
      { errors { code field message } } }"""
    errors = (await agent.execute(update)).payload("contactUpdate")["errors"]
    assert errors == [{"code": "NOT_FOUND", "field": ["input", "id"], "message": "Not found."}]
    assert await database_state() == before
    # An argument of a query is still refused as a whole: there is no payload to carry it.
    query = await agent.execute('{ contact(id: "%%%") { id } }')
    assert query.error_codes == ["BAD_USER_INPUT"]


async def test_the_guard_checks_the_declared_scope_not_the_first_id_by_name(api, world):
    """affiliationCreate is scoped by personId: a person of another organization is NOT_FOUND
    there even when the organization contact, whose name sorts first, is the caller's."""
    theirs = await new_contact(world.other_organization)
    school = await new_contact(world.organization, "École", kind=ContactKind.ORGANIZATION)
    operation = FOREIGN_SECOND_ID[2][1]
    result = await api.as_(world.owner).execute(operation, {"a": gid(theirs), "b": gid(school)})
    assert result.payload("affiliationCreate")["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "personId"]}
    ]
    assert not await Affiliation.exists()
