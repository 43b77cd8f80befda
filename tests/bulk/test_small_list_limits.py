"""The small-list mutations keep their 500-contact limit, and name the bulk mutation to
use beyond it."""

import pytest

from models.colours import Colour
from models.groups import Group, GroupMember
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
COLOUR = f"""mutation($o: ID!, $ids: [ID!]!) {{ contactsColourSet(input: {{organizationId: $o,
  contactIds: $ids}}) {{ {ERRORS} }} }}"""
GROUP_ADD = f"""mutation($g: ID!, $ids: [ID!]!) {{ groupAddContacts(input: {{groupId: $g,
  contactIds: $ids}}) {{ {ERRORS} }} }}"""
GROUP_REMOVE = GROUP_ADD.replace("groupAddContacts", "groupRemoveContacts")


@pytest.mark.parametrize(
    ("operation", "field", "bulk"),
    [
        (COLOUR, "contactsColourSet", "contactsBulkColourSet"),
        (GROUP_ADD, "groupAddContacts", "contactsBulkGroupAdd"),
        (GROUP_REMOVE, "groupRemoveContacts", "contactsBulkGroupRemove"),
    ],
)
async def test_past_500_contacts_the_error_names_the_bulk_mutation(
    api, world, operation, field, bulk
):
    anne = await new_contact(world.organization, "Anne Roy")
    group = await Group.create(organization=world.organization, name="Team")
    await Colour.create(organization=world.organization, name="Gold", hex="#ffd700")
    variables = {"o": world.org_gid, "g": gid(group), "ids": [gid(anne)] * 501}
    refused = await api.as_(world.agent).execute(operation, variables)
    [error] = refused.data[field]["errors"]
    assert error["code"] == "INVALID"
    assert "500" in error["message"] and bulk in error["message"]
    french = await api.as_(world.agent).execute(operation, variables, **{"accept-language": "fr"})
    assert "au-delà, utilisez " + bulk in french.data[field]["errors"][0]["message"]
    assert not await GroupMember.exists()
    assert (await api.as_(world.agent).execute(operation, {**variables, "ids": [gid(anne)]})).data[
        field
    ]["errors"] == []
