"""Contact groups: defined by managers, filled and emptied by agents, one or many at a time."""

import asyncio

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.colours import Colour
from models.contacts import Contact, ContactKind
from models.groups import Group, GroupMember
from schema import ids
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
GROUP = "group { id name description memberCount }"
CREATE = f"""mutation($input: GroupCreateInput!) {{
  groupCreate(input: $input) {{ {GROUP} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: GroupUpdateInput!) {{
  groupUpdate(input: $input) {{ {GROUP} {ERRORS} }} }}"""
DELETE = (
    f"""mutation($id: ID!) {{ groupDelete(input: {{id: $id}}) {{ deletedGroupId {ERRORS} }} }}"""
)
ADD = f"""mutation($g: ID!, $contactIds: [ID!]!) {{
  groupAddContacts(input: {{groupId: $g, contactIds: $contactIds}}) {{
    {GROUP} addedCount {ERRORS} }} }}"""
REMOVE = f"""mutation($g: ID!, $contactIds: [ID!]!) {{
  groupRemoveContacts(input: {{groupId: $g, contactIds: $contactIds}}) {{
    {GROUP} removedCount {ERRORS} }} }}"""
ONE = """query($id: ID!, $archived: Boolean! = false) { group(id: $id) {
  name memberCount members(first: 10, includeArchived: $archived) { edges { node { id } } } } }"""
LIST = """query($o: ID!, $search: String, $first: Int, $after: String) {
  groups(organizationId: $o, search: $search, first: $first, after: $after) {
    edges { node { name memberCount } } pageInfo { hasNextPage endCursor } } }"""


def create_input(world, name="Juniors", **extra):
    return {"input": {"organizationId": world.org_gid, "name": name, **extra}}


async def group(world, name="Juniors", organization=None):
    return await Group.create(organization=organization or world.organization, name=name)


async def member_ids(group) -> list[int]:
    rows = await GroupMember.filter(group_id=group.id).order_by("contact_id")
    return [row.contact_id for row in rows]


async def test_a_group_is_created_renamed_and_deleted_with_an_audit_trail(api, world):
    admin = api.as_(world.admin)
    created = await admin.execute(
        CREATE, create_input(world, " Juniors ", description="Moins de 12 ans\nle samedi")
    )
    juniors = created.ok("groupCreate")["group"]
    assert juniors == {
        "id": juniors["id"],
        "name": "Juniors",
        "description": "Moins de 12 ans\nle samedi",
        "memberCount": 0,
    }
    renamed = await admin.execute(UPDATE, {"input": {"id": juniors["id"], "name": "U12"}})
    assert renamed.ok("groupUpdate")["group"]["name"] == "U12"
    contact = await new_contact(world.organization)
    await GroupMember.create(group_id=ids.decode(juniors["id"])[1], contact=contact)
    deleted = await admin.execute(DELETE, {"id": juniors["id"]})
    assert deleted.ok("groupDelete")["deletedGroupId"] == juniors["id"]
    assert not await Group.exists() and not await GroupMember.exists()
    assert await Contact.exists(id=contact.id)  # the contacts stay
    events = await AuditEvent.filter(action__startswith="group.").order_by("id")
    assert [e.action for e in events] == ["group.create", "group.update", "group.delete"]
    assert (events[1].before, events[1].after) == ({"name": "Juniors"}, {"name": "U12"})
    assert events[2].before["member_count"] == 1


async def test_names_are_required_and_unique_per_organization(api, world):
    await group(world, "Juniors")
    await group(world, "Seniors", organization=world.other_organization)
    admin = api.as_(world.admin)
    taken = await admin.execute(CREATE, create_input(world, "JUNIORS"))
    [error] = taken.payload("groupCreate")["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["input", "name"])
    blank = await admin.execute(CREATE, create_input(world, " ", description="x" * 2001))
    assert [(e["code"], e["field"]) for e in blank.payload("groupCreate")["errors"]] == [
        ("REQUIRED", ["input", "name"]),
        ("TOO_LONG", ["input", "description"]),
    ]
    assert await Group.filter(organization=world.organization).count() == 1
    assert (await admin.execute(CREATE, create_input(world, "Seniors"))).ok("groupCreate")


async def test_renaming_onto_another_group_is_refused_in_french_too(api, world):
    await group(world, "Juniors")
    seniors = await group(world, "Seniors")
    admin = api.as_(world.admin).with_headers(**{"accept-language": "fr"})
    result = await admin.execute(UPDATE, {"input": {"id": gid(seniors), "name": "juniors"}})
    [error] = result.payload("groupUpdate")["errors"]
    assert (error["code"], error["message"]) == ("ALREADY_EXISTS", "Un groupe porte déjà ce nom.")
    assert (await Group.get(id=seniors.id)).name == "Seniors"


async def test_people_and_organizations_are_added_once_and_removed(api, world):
    juniors = await group(world)
    anna = await new_contact(world.organization, "Anna Bell")
    school = await new_contact(
        world.organization, "École Jeanne-Mance", kind=ContactKind.ORGANIZATION
    )
    agent = api.as_(world.agent)
    added = await agent.execute(ADD, {"g": gid(juniors), "contactIds": [gid(anna), gid(school)]})
    payload = added.ok("groupAddContacts")
    assert (payload["addedCount"], payload["group"]["memberCount"]) == (2, 2)

    # Adding again is not an error: only the newcomer is added, and audited.
    ben = await new_contact(world.organization, "Ben Cole")
    again = await agent.execute(ADD, {"g": gid(juniors), "contactIds": [gid(anna), gid(ben)]})
    assert again.ok("groupAddContacts")["addedCount"] == 1
    assert await member_ids(juniors) == [anna.id, school.id, ben.id]

    removed = await agent.execute(
        REMOVE, {"g": gid(juniors), "contactIds": [gid(school), gid(school)]}
    )
    assert removed.ok("groupRemoveContacts")["removedCount"] == 1
    absent = await agent.execute(REMOVE, {"g": gid(juniors), "contactIds": [gid(school)]})
    assert absent.ok("groupRemoveContacts")["removedCount"] == 0
    assert await member_ids(juniors) == [anna.id, ben.id]

    events = await AuditEvent.filter(action__startswith="group.").order_by("id")
    assert [(e.action, e.after or e.before) for e in events] == [
        ("group.add_contacts", {"contact_ids": [anna.id, school.id]}),
        ("group.add_contacts", {"contact_ids": [ben.id]}),
        ("group.remove_contacts", {"contact_ids": [school.id]}),
    ]
    assert {e.target_id for e in events} == {str(juniors.id)}


async def test_a_contact_can_be_in_many_groups(api, world):
    juniors, seniors = await group(world, "Juniors"), await group(world, "Seniors")
    anna = await new_contact(world.organization)
    agent = api.as_(world.agent)
    for g in (juniors, seniors):
        assert (await agent.execute(ADD, {"g": gid(g), "contactIds": [gid(anna)]})).ok(
            "groupAddContacts"
        )
    assert await GroupMember.filter(contact_id=anna.id).count() == 2


async def test_archived_contacts_may_be_members_but_are_hidden_from_the_list(api, world):
    juniors = await group(world)
    anna = await new_contact(world.organization, "Anna Bell")
    gone = await new_contact(world.organization, "Zoé Gone", archived=True)
    result = await api.as_(world.agent).execute(
        ADD, {"g": gid(juniors), "contactIds": [gid(gone), gid(anna)]}
    )
    assert result.ok("groupAddContacts")["addedCount"] == 2
    viewer = api.as_(world.viewer)
    shown = (await viewer.execute(ONE, {"id": gid(juniors)})).data["group"]
    assert shown["memberCount"] == 1
    assert [e["node"]["id"] for e in shown["members"]["edges"]] == [gid(anna)]
    everyone = (await viewer.execute(ONE, {"id": gid(juniors), "archived": True})).data["group"]
    assert [e["node"]["id"] for e in everyone["members"]["edges"]] == [gid(anna), gid(gone)]


async def test_a_foreign_contact_in_the_list_is_not_found_at_its_index(api, world):
    juniors = await group(world)
    mine = [await new_contact(world.organization) for _ in range(3)]
    stranger = await new_contact(world.other_organization)
    listed = [gid(c) for c in mine]
    agent = api.as_(world.agent)
    for operation, field in ((ADD, "groupAddContacts"), (REMOVE, "groupRemoveContacts")):
        result = await agent.execute(
            operation, {"g": gid(juniors), "contactIds": [*listed, gid(stranger)]}
        )
        [error] = result.payload(field)["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "contactIds", 3])
    assert not await GroupMember.exists()  # nothing half-written
    assert not await AuditEvent.filter(action__startswith="group.").exists()


async def test_a_foreign_or_missing_group_is_not_found(api, world):
    theirs = await group(world, organization=world.other_organization)
    contact = await new_contact(world.organization)
    agent = api.as_(world.agent)
    for group_id in (gid(theirs), ids.encode("Group", 999999), gid(contact)):
        result = await agent.execute(ADD, {"g": group_id, "contactIds": [gid(contact)]})
        [error] = result.payload("groupAddContacts")["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "groupId"]), group_id
    refused = await agent.execute(ONE, {"id": gid(theirs)})
    assert refused.data == {"group": None} and refused.error_codes == ["NOT_FOUND"]
    assert not await GroupMember.exists()


async def test_who_may_do_what(api, world):
    juniors = await group(world)
    contact = await new_contact(world.organization)
    agent, viewer = api.as_(world.agent), api.as_(world.viewer)
    assert (await agent.execute(CREATE, create_input(world, "Seniors"))).error_codes == [
        "FORBIDDEN"
    ]
    assert (await agent.execute(DELETE, {"id": gid(juniors)})).error_codes == ["FORBIDDEN"]
    add = {"g": gid(juniors), "contactIds": [gid(contact)]}
    assert (await viewer.execute(ADD, add)).error_codes == ["FORBIDDEN"]
    assert (await api.as_(None).execute(ADD, add)).error_codes == ["UNAUTHENTICATED"]
    assert await Group.all().count() == 1 and not await GroupMember.exists()


async def test_the_list_is_sorted_searched_and_paged(api, world):
    for name in ("Seniors", "Juniors", "Bénévoles", "Juniors B"):
        await group(world, name)
    await group(world, "Juniors", organization=world.other_organization)
    viewer = api.as_(world.viewer)
    first = (await viewer.execute(LIST, {"o": world.org_gid, "first": 2})).data["groups"]
    assert [e["node"]["name"] for e in first["edges"]] == ["Bénévoles", "Juniors"]
    rest = await viewer.execute(
        LIST, {"o": world.org_gid, "first": 2, "after": first["pageInfo"]["endCursor"]}
    )
    assert [e["node"]["name"] for e in rest.data["groups"]["edges"]] == ["Juniors B", "Seniors"]
    assert rest.data["groups"]["pageInfo"]["hasNextPage"] is False
    found = await viewer.execute(LIST, {"o": world.org_gid, "search": "junior"})
    assert [e["node"]["name"] for e in found.data["groups"]["edges"]] == ["Juniors", "Juniors B"]


async def test_an_out_of_range_page_size_is_refused(api, world):
    viewer = api.as_(world.viewer)
    for size in (0, 101):
        result = await viewer.execute(LIST, {"o": world.org_gid, "first": size})
        assert result.error_codes == ["BAD_USER_INPUT"], size


async def test_a_bulk_call_is_capped(api, world):
    juniors = await group(world)
    contact = await new_contact(world.organization)
    result = await api.as_(world.agent).execute(
        ADD, {"g": gid(juniors), "contactIds": [gid(contact)] * 501}
    )
    [error] = result.payload("groupAddContacts")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "contactIds"])
    fr = await api.as_(world.agent).execute(
        ADD, {"g": gid(juniors), "contactIds": [gid(contact)] * 501}, **{"accept-language": "fr"}
    )
    assert fr.payload("groupAddContacts")["errors"][0]["message"].startswith("Au plus 500")
    assert not await GroupMember.exists()


async def test_member_counts_cost_the_same_statements_for_5_and_50_groups(api, world):
    contacts = [await new_contact(world.organization) for _ in range(3)]
    groups = [await group(world, f"Groupe {i:02}") for i in range(50)]
    await GroupMember.bulk_create(
        [GroupMember(group_id=g.id, contact_id=c.id) for g in groups for c in contacts[:2]]
    )
    viewer = api.as_(world.viewer)
    counts = []
    for size in (5, 50):
        with count_statements() as statements:
            result = await viewer.execute(LIST, {"o": world.org_gid, "first": size})
        edges = result.data["groups"]["edges"]
        assert [e["node"]["memberCount"] for e in edges] == [2] * size
        counts.append(len(statements))
    # The session, the caller's role, the page, and one query for every page's counts.
    assert counts[0] == counts[1] <= 4, counts


async def test_node_reads_groups_and_colours_of_ones_organization(api, world):
    juniors = await group(world)
    red = await Colour.create(organization=world.organization, name="Rouge", hex="#ff0000")
    theirs = await group(world, organization=world.other_organization)
    query = """query($id: ID!) { node(id: $id) { __typename id
      ... on Group { name memberCount } ... on Colour { hex } } }"""
    viewer = api.as_(world.viewer)
    assert (await viewer.execute(query, {"id": gid(juniors)})).data["node"] == {
        "__typename": "Group",
        "id": gid(juniors),
        "name": "Juniors",
        "memberCount": 0,
    }
    assert (await viewer.execute(query, {"id": gid(red)})).data["node"]["hex"] == "#ff0000"
    assert (await viewer.execute(query, {"id": gid(theirs)})).error_codes == ["NOT_FOUND"]


async def test_adding_the_same_contacts_at_once_adds_each_once(api, world):
    # On PostgreSQL the requests overlap and the group's lock orders them; never a 500.
    juniors = await group(world)
    contacts = [await new_contact(world.organization) for _ in range(4)]
    agent = api.as_(world.agent)
    results = await asyncio.gather(
        *(
            agent.execute(ADD, {"g": gid(juniors), "contactIds": [gid(c) for c in contacts]})
            for _ in range(3)
        )
    )
    assert sorted(r.ok("groupAddContacts")["addedCount"] for r in results) == [0, 0, 4]
    assert await member_ids(juniors) == [c.id for c in contacts]


async def test_creating_the_same_group_at_once_creates_it_once(api, world):
    admin = api.as_(world.admin)
    results = await asyncio.gather(
        *(admin.execute(CREATE, create_input(world, "Juniors")) for _ in range(3))
    )
    codes = sorted(tuple(r.payload_codes("groupCreate")) for r in results)
    assert codes == [(), ("ALREADY_EXISTS",), ("ALREADY_EXISTS",)]
    assert await Group.filter(organization=world.organization).count() == 1
