"""Affiliations: a person belongs to an organization contact with a role title."""

from models.affiliations import Affiliation
from models.audit import AuditEvent
from models.contacts import ContactKind
from schema import ids
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
AFFILIATION = "affiliation { id roleTitle person { id } organizationContact { id } }"
CREATE = f"""mutation($input: AffiliationCreateInput!) {{
  affiliationCreate(input: $input) {{ {AFFILIATION} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $roleTitle: String!) {{
  affiliationUpdate(input: {{id: $id, roleTitle: $roleTitle}}) {{ {AFFILIATION} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{
  affiliationDelete(input: {{id: $id}}) {{ deletedAffiliationId {ERRORS} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Affiliation { roleTitle } } }"""


async def person(organization, name="Anna Bell"):
    return await new_contact(organization, name)


async def school(organization, name="École Jeanne-Mance"):
    return await new_contact(organization, name, kind=ContactKind.ORGANIZATION)


def create_input(person, organization_contact, role_title="Coach"):
    return {
        "input": {
            "personId": gid(person),
            "organizationContactId": gid(organization_contact),
            "roleTitle": role_title,
        }
    }


async def test_an_affiliation_is_created_retitled_and_ended_with_an_audit_trail(api, world):
    anna, jeanne = await person(world.organization), await school(world.organization)
    agent = api.as_(world.agent)
    created = (await agent.execute(CREATE, create_input(anna, jeanne, " Coach "))).ok(
        "affiliationCreate"
    )["affiliation"]
    assert created == {
        "id": created["id"],
        "roleTitle": "Coach",
        "person": {"id": gid(anna)},
        "organizationContact": {"id": gid(jeanne)},
    }
    retitled = await agent.execute(UPDATE, {"id": created["id"], "roleTitle": "Principal"})
    assert retitled.ok("affiliationUpdate")["affiliation"]["roleTitle"] == "Principal"
    ended = await agent.execute(DELETE, {"id": created["id"]})
    assert ended.ok("affiliationDelete")["deletedAffiliationId"] == created["id"]
    assert not await Affiliation.exists()
    events = await AuditEvent.filter(action__startswith="affiliation.").order_by("id")
    assert [e.action for e in events] == [
        "affiliation.create",
        "affiliation.update",
        "affiliation.delete",
    ]
    assert events[0].after == {
        "person_id": anna.id,
        "organization_contact_id": jeanne.id,
        "role_title": "Coach",
    }
    assert (events[1].before, events[1].after) == (
        {"role_title": "Coach"},
        {"role_title": "Principal"},
    )


async def test_a_person_belongs_to_several_organizations(api, world):
    anna = await person(world.organization)
    agent = api.as_(world.agent)
    for name in ("École Jeanne-Mance", "Club Gamma"):
        organization_contact = await school(world.organization, name)
        result = await agent.execute(CREATE, create_input(anna, organization_contact))
        assert result.ok("affiliationCreate")
    assert await Affiliation.filter(person_id=anna.id).count() == 2


async def test_the_person_must_be_a_person_and_the_organization_an_organization(api, world):
    anna, ben = await person(world.organization), await person(world.organization, "Ben Cole")
    jeanne = await school(world.organization)
    agent = api.as_(world.agent).with_headers(**{"accept-language": "fr"})
    swapped = await agent.execute(CREATE, create_input(jeanne, anna))
    assert [
        (e["code"], e["field"], e["message"])
        for e in swapped.payload("affiliationCreate")["errors"]
    ] == [
        ("INVALID", ["input", "personId"], "Choisissez une personne."),
        (
            "INVALID",
            ["input", "organizationContactId"],
            "Choisissez un contact de type organisation.",
        ),
    ]
    two_people = await agent.execute(CREATE, create_input(anna, ben))
    assert two_people.payload_codes("affiliationCreate") == ["INVALID"]
    assert not await Affiliation.exists()


async def test_a_pair_is_affiliated_once(api, world):
    anna, jeanne = await person(world.organization), await school(world.organization)
    agent = api.as_(world.agent)
    assert (await agent.execute(CREATE, create_input(anna, jeanne))).ok("affiliationCreate")
    again = await agent.execute(CREATE, create_input(anna, jeanne, "Treasurer"))
    [error] = again.payload("affiliationCreate")["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["input", "organizationContactId"])
    assert (await Affiliation.get(person_id=anna.id)).role_title == "Coach"


async def test_contacts_of_another_organization_are_not_found(api, world):
    anna, jeanne = await person(world.organization), await school(world.organization)
    their_person = await person(world.other_organization)
    their_school = await school(world.other_organization)
    agent = api.as_(world.agent)
    for variables, field in (
        (create_input(anna, their_school), "organizationContactId"),
        (create_input(their_person, jeanne), "personId"),
    ):
        result = await agent.execute(CREATE, variables)
        [error] = result.payload("affiliationCreate")["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", field])
    missing = await agent.execute(
        CREATE,
        {
            "input": {
                "personId": gid(anna),
                "organizationContactId": ids.encode("Contact", 999999),
            }
        },
    )
    [error] = missing.payload("affiliationCreate")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "organizationContactId"])
    assert not await Affiliation.exists()


async def test_another_organizations_affiliation_is_not_found(api, world):
    theirs = await Affiliation.create(
        person=await person(world.other_organization),
        organization_contact=await school(world.other_organization),
        role_title="Coach",
    )
    agent = api.as_(world.agent)
    for operation, variables, field in (
        (UPDATE, {"id": gid(theirs), "roleTitle": "Principal"}, "affiliationUpdate"),
        (DELETE, {"id": gid(theirs)}, "affiliationDelete"),
    ):
        result = await agent.execute(operation, variables)
        [error] = result.payload(field)["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "id"])
    refused = await agent.execute(NODE, {"id": gid(theirs)})
    assert refused.error_codes == ["NOT_FOUND"]
    assert (await Affiliation.get(id=theirs.id)).role_title == "Coach"


async def test_node_reads_an_affiliation_of_ones_organization(api, world):
    affiliation = await Affiliation.create(
        person=await person(world.organization),
        organization_contact=await school(world.organization),
        role_title="Coach",
    )
    result = await api.as_(world.viewer).execute(NODE, {"id": gid(affiliation)})
    assert result.data["node"] == {"id": gid(affiliation), "roleTitle": "Coach"}


async def test_viewers_read_but_do_not_affiliate(api, world):
    anna, jeanne = await person(world.organization), await school(world.organization)
    result = await api.as_(world.viewer).execute(CREATE, create_input(anna, jeanne))
    assert result.error_codes == ["FORBIDDEN"]
    assert not await Affiliation.exists()
