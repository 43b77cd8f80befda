"""Saved segments: a named search and filter, checked when saved, evaluated live."""

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.colours import Colour
from models.contacts import Contact
from models.groups import Group, GroupMember
from models.segments import Segment
from schema import ids
from tests.custom_fields_authz_examples import a_fresh_field
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
SEGMENT = "segment { id name description search filter }"
CREATE = f"""mutation($input: SegmentCreateInput!) {{
  segmentCreate(input: $input) {{ {SEGMENT} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: SegmentUpdateInput!) {{
  segmentUpdate(input: $input) {{ {SEGMENT} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{
  segmentDelete(input: {{id: $id}}) {{ deletedSegmentId {ERRORS} }} }}"""
CONTACTS = """query($id: ID!, $first: Int = 10, $after: String) { segment(id: $id) {
  name count problems { code message recordId }
  contacts(first: $first, after: $after) {
    edges { node { id displayName } } pageInfo { hasNextPage endCursor } } } }"""
LIST = """query($o: ID!, $first: Int, $after: String) {
  segments(organizationId: $o, first: $first, after: $after) {
    edges { node { name } } pageInfo { hasNextPage endCursor } } }"""


def create_input(world, name="Juniors", **extra):
    return {"input": {"organizationId": world.org_gid, "name": name, **extra}}


async def juniors_group(world, organization=None):
    return await Group.create(organization=organization or world.organization, name="Juniors")


async def test_a_segment_is_saved_changed_and_deleted_with_an_audit_trail(api, world):
    agent = api.as_(world.agent)
    group = await juniors_group(world)
    created = await agent.execute(
        CREATE,
        create_input(
            world,
            " Juniors à relancer ",
            description="Pour la rentrée",
            search="tremblay",
            filter={"groups": {"ids": [gid(group)], "mode": "ANY"}},
        ),
    )
    segment = created.ok("segmentCreate")["segment"]
    assert segment["name"] == "Juniors à relancer"
    assert segment["search"] == "tremblay"
    assert segment["filter"]["group_ids"] == [group.id]
    assert segment["filter"]["search"] is None
    renamed = await agent.execute(
        UPDATE, {"input": {"id": segment["id"], "name": "Juniors", "search": ""}}
    )
    changed = renamed.ok("segmentUpdate")["segment"]
    assert (changed["name"], changed["search"]) == ("Juniors", "")
    assert changed["filter"]["group_ids"] == [group.id]  # kept: no filter given
    refiltered = await agent.execute(
        UPDATE, {"input": {"id": segment["id"], "filter": {"isUser": True}}}
    )
    new_filter = refiltered.ok("segmentUpdate")["segment"]["filter"]
    assert (new_filter["group_ids"], new_filter["is_user"]) == (None, True)
    deleted = await agent.execute(DELETE, {"id": segment["id"]})
    assert deleted.ok("segmentDelete")["deletedSegmentId"] == segment["id"]
    assert not await Segment.exists()
    events = await AuditEvent.filter(action__startswith="segment.").order_by("id")
    assert [e.action for e in events] == [
        "segment.create",
        "segment.update",
        "segment.update",
        "segment.delete",
    ]
    assert events[1].after == {"name": "Juniors", "search": ""}


async def test_contacts_are_evaluated_live_and_counted(api, world):
    agent = api.as_(world.agent)
    group = await juniors_group(world)
    first = await new_contact(world.organization, "Anne Tremblay")
    await new_contact(world.organization, "Bob Tremblay")  # not in the group
    await new_contact(world.organization, "Carl Roy")
    await GroupMember.create(group=group, contact=first)
    created = await agent.execute(
        CREATE,
        create_input(world, search="tremblay", filter={"groups": {"ids": [gid(group)]}}),
    )
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    result = await agent.execute(CONTACTS, {"id": segment_id})
    assert not result.errors, result.errors
    assert result.data["segment"]["count"] == 1
    names = [e["node"]["displayName"] for e in result.data["segment"]["contacts"]["edges"]]
    assert names == ["Anne Tremblay"]
    later = await new_contact(world.organization, "Zoé Tremblay")
    await GroupMember.create(group=group, contact=later)
    result = await agent.execute(CONTACTS, {"id": segment_id, "first": 1})
    data = result.data["segment"]
    assert data["count"] == 2
    assert data["contacts"]["pageInfo"]["hasNextPage"]
    after = data["contacts"]["pageInfo"]["endCursor"]
    result = await agent.execute(CONTACTS, {"id": segment_id, "first": 1, "after": after})
    names = [e["node"]["displayName"] for e in result.data["segment"]["contacts"]["edges"]]
    assert names == ["Zoé Tremblay"]


async def test_the_count_is_not_computed_unless_selected(api, world):
    agent = api.as_(world.agent)
    created = await agent.execute(CREATE, create_input(world))
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    query = "query($id: ID!) { segment(id: $id) { name %s } }"
    with count_statements() as without:
        assert not (await agent.execute(query % "", {"id": segment_id})).errors
    with count_statements() as counted:
        assert not (await agent.execute(query % "count", {"id": segment_id})).errors
    assert len(counted) > len(without)


async def test_names_are_required_short_and_unique_ignoring_case(api, world):
    agent = api.as_(world.agent)
    await agent.execute(CREATE, create_input(world, "Juniors"))
    other = api.as_(world.outsider)
    across = await other.execute(
        CREATE, {"input": {"organizationId": world.other_org_gid, "name": "Juniors"}}
    )
    assert across.ok("segmentCreate")  # another organization may use the name
    taken = await agent.execute(CREATE, create_input(world, "JUNIORS"))
    [error] = taken.payload("segmentCreate")["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["input", "name"])
    blank = await agent.execute(CREATE, create_input(world, "  "))
    assert [e["code"] for e in blank.payload("segmentCreate")["errors"]] == ["REQUIRED"]
    long = await agent.execute(CREATE, create_input(world, "x" * 101))
    assert [e["code"] for e in long.payload("segmentCreate")["errors"]] == ["TOO_LONG"]
    seniors = await agent.execute(CREATE, create_input(world, "Seniors"))
    seniors_id = seniors.ok("segmentCreate")["segment"]["id"]
    clash = await agent.execute(UPDATE, {"input": {"id": seniors_id, "name": "juniors"}})
    [error] = clash.payload("segmentUpdate")["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["input", "name"])
    french = await agent.with_headers(**{"Accept-Language": "fr"}).execute(
        CREATE, create_input(world, "juniors")
    )
    [error] = french.payload("segmentCreate")["errors"]
    assert error["message"] == "Un segment porte déjà ce nom."
    assert await Segment.filter(organization_id=world.organization.id).count() == 2


async def test_the_filter_is_checked_as_the_contacts_query_checks_it(api, world):
    agent = api.as_(world.agent)
    foreign = await juniors_group(world, organization=world.other_organization)
    red = await Colour.create(organization=world.other_organization, name="Red", hex="#ff0000")
    cases = [
        ({"groups": {"ids": [gid(foreign)]}}, "NOT_FOUND", ["input", "filter", "groups", "ids"]),
        ({"colourIds": [gid(red)]}, "NOT_FOUND", ["input", "filter", "colourIds"]),
        # A malformed id: NOT_FOUND on the filter, as contactsExport answers it.
        ({"groups": {"ids": ["not-an-id"]}}, "NOT_FOUND", ["input", "filter"]),
        ({"age": {"min": 200}}, "INVALID", ["input", "filter"]),
    ]
    for given, code, field in cases:
        refused = await agent.execute(CREATE, create_input(world, filter=given))
        [error] = refused.payload("segmentCreate")["errors"]
        assert (error["code"], error["field"]) == (code, field), given
    created = await agent.execute(CREATE, create_input(world))
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    refused = await agent.execute(
        UPDATE, {"input": {"id": segment_id, "filter": {"groups": {"ids": [gid(foreign)]}}}}
    )
    assert refused.payload_codes("segmentUpdate") == ["NOT_FOUND"]
    assert (await Segment.get()).filters["group_ids"] is None  # nothing written
    assert await Segment.filter().count() == 1


async def test_a_deleted_group_or_colour_is_a_problem_and_the_contacts_a_clear_error(api, world):
    agent = api.as_(world.agent)
    group = await juniors_group(world)
    blue = await Colour.create(organization=world.organization, name="Blue", hex="#0000ff")
    created = await agent.execute(
        CREATE,
        create_input(world, filter={"groups": {"ids": [gid(group)]}, "colourIds": [gid(blue)]}),
    )
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    problems = "query($id: ID!) { segment(id: $id) { problems { code recordId } } }"
    fine = await agent.execute(problems, {"id": segment_id})
    assert fine.data["segment"]["problems"] == []
    admin = api.as_(world.admin)
    assert (await admin.execute(DELETE_GROUP, {"id": gid(group)})).ok("groupDelete")
    await blue.delete()
    result = await agent.execute(CONTACTS, {"id": segment_id})
    assert set(result.error_codes) == {"BAD_USER_INPUT"}
    assert "see its problems" in result.errors[0]["message"]
    listed = await agent.execute(
        problems.replace("recordId", "recordId message"), {"id": segment_id}
    )
    assert listed.data["segment"]["problems"] == [
        {
            "code": "GROUP_DELETED",
            "message": "A group of the filter was deleted.",
            "recordId": gid(group),
        },
        {
            "code": "COLOUR_DELETED",
            "message": "A colour of the filter was deleted.",
            "recordId": ids.encode("Colour", blue.id),
        },
    ]
    # Saving a new filter clears the problems.
    saved = await agent.execute(UPDATE, {"input": {"id": segment_id, "filter": {}}})
    assert saved.ok("segmentUpdate")
    assert not (await agent.execute(CONTACTS, {"id": segment_id})).errors


DELETE_GROUP = "mutation($id: ID!) { groupDelete(input: {id: $id}) { errors { code } } }"


async def test_segments_are_listed_by_name_and_kept_to_their_organization(api, world):
    agent = api.as_(world.agent)
    for name in ("beta", "Alpha", "Gamma"):
        assert (await agent.execute(CREATE, create_input(world, name))).ok("segmentCreate")
    outsider = api.as_(world.outsider)
    theirs = await outsider.execute(
        CREATE, {"input": {"organizationId": world.other_org_gid, "name": "Theirs"}}
    )
    their_id = theirs.ok("segmentCreate")["segment"]["id"]
    page = await agent.execute(LIST, {"o": world.org_gid, "first": 2})
    names = [e["node"]["name"] for e in page.data["segments"]["edges"]]
    assert names == ["Alpha", "beta"]
    after = page.data["segments"]["pageInfo"]["endCursor"]
    rest = await agent.execute(LIST, {"o": world.org_gid, "first": 2, "after": after})
    assert [e["node"]["name"] for e in rest.data["segments"]["edges"]] == ["Gamma"]
    assert (await agent.execute(CONTACTS, {"id": their_id})).error_codes == ["NOT_FOUND"]
    node = "query($id: ID!) { node(id: $id) { ... on Segment { name } } }"
    assert (await agent.execute(node, {"id": their_id})).error_codes == ["NOT_FOUND"]
    mine = (await agent.execute(LIST, {"o": world.org_gid})).data["segments"]["edges"]
    assert mine  # the node query finds one's own
    [alpha] = await Segment.filter(name="Alpha")
    found = await agent.execute(node, {"id": ids.encode("Segment", alpha.id)})
    assert found.data["node"] == {"name": "Alpha"}
    for mutation, field in ((UPDATE, "segmentUpdate"), (DELETE, "segmentDelete")):
        variables = {"input": {"id": their_id, "name": "Mine"}} if field == "segmentUpdate" else {}
        variables = variables or {"id": their_id}
        refused = await agent.execute(mutation, variables)
        assert refused.payload_codes(field) == ["NOT_FOUND"]
    assert await Segment.exists(id=ids.decode(their_id)[1], name="Theirs")


async def test_a_viewer_reads_segments_but_may_not_save_them(api, world):
    viewer = api.as_(world.viewer)
    refused = await viewer.execute(CREATE, create_input(world))
    assert refused.error_codes == ["FORBIDDEN"]
    assert not await Segment.exists()
    created = await api.as_(world.agent).execute(CREATE, create_input(world))
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    assert not (await viewer.execute(CONTACTS, {"id": segment_id})).errors


async def test_five_or_thirty_contacts_cost_the_same_statements(api, world):
    for i in range(40):
        await new_contact(world.organization, f"Person P{i:03}")
    await Contact.filter(organization_id=world.organization.id).count()
    agent = api.as_(world.agent)
    created = await agent.execute(CREATE, create_input(world, search="person"))
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    query = """query($id: ID!, $first: Int!) { segment(id: $id) { name
      contacts(first: $first) { edges { node { id displayName colour { name } } } } } }"""
    counts = {}
    for size in (5, 30):
        with count_statements() as statements:
            result = await agent.execute(query, {"id": segment_id, "first": size})
        assert not result.errors, result.errors
        assert len(result.data["segment"]["contacts"]["edges"]) == size
        counts[size] = len(statements)
    assert counts[5] == counts[30], counts


async def test_a_deleted_custom_field_is_a_problem_too(api, world):
    agent = api.as_(world.agent)
    field = await a_fresh_field(world)
    field_id = ids.encode("CustomField", field.id)
    created = await agent.execute(
        CREATE,
        create_input(world, filter={"customFields": [{"fieldId": field_id, "isSet": True}]}),
    )
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    count = "query($id: ID!) { segment(id: $id) { count } }"
    assert (await agent.execute(count, {"id": segment_id})).data == {"segment": {"count": 0}}
    await field.delete()
    assert (await agent.execute(count, {"id": segment_id})).error_codes == ["BAD_USER_INPUT"]
    problems = "query($id: ID!) { segment(id: $id) { problems { code recordId } } }"
    listed = await agent.execute(problems, {"id": segment_id})
    assert listed.data["segment"]["problems"] == [
        {"code": "CUSTOM_FIELD_DELETED", "recordId": field_id}
    ]
