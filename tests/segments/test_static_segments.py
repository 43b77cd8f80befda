"""Static segments: a frozen list of contacts, from a filter at one moment or from ids,
changed only by segmentMembersAdd / segmentMembersRemove."""

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.segments import Segment, SegmentMember
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
CREATE = f"""mutation($input: SegmentCreateInput!) {{
  segmentCreate(input: $input) {{ segment {{ id kind }} {ERRORS} }} }}"""
ADD = f"""mutation($id: ID!, $ids: [ID!]!) {{
  segmentMembersAdd(input: {{id: $id, contactIds: $ids}})
  {{ segment {{ id count }} {ERRORS} }} }}"""
REMOVE = ADD.replace("segmentMembersAdd", "segmentMembersRemove")
CONTACTS = """query($id: ID!, $first: Int = 50) { segment(id: $id) { kind count
  contacts(first: $first) { edges { node { displayName } } } } }"""


def static_input(world, name="Exactly these", **extra):
    return {"input": {"organizationId": world.org_gid, "name": name, "kind": "STATIC", **extra}}


async def names(agent, segment_id):
    result = await agent.execute(CONTACTS, {"id": segment_id})
    assert not result.errors, result.errors
    segment = result.data["segment"]
    listed = [e["node"]["displayName"] for e in segment["contacts"]["edges"]]
    assert segment["count"] == len(listed)
    return listed


async def test_a_static_segment_freezes_the_contacts_matching_its_filter(api, world):
    agent = api.as_(world.agent)
    await new_contact(world.organization, "Bob Tremblay")
    await new_contact(world.organization, "Anne Tremblay")
    await new_contact(world.organization, "Carl Roy")
    await new_contact(world.other_organization, "Zoé Tremblay")
    created = await agent.execute(CREATE, static_input(world, search="tremblay"))
    segment = created.ok("segmentCreate")["segment"]
    assert segment["kind"] == "STATIC"
    await new_contact(world.organization, "Dora Tremblay")  # later: not frozen in
    assert await names(agent, segment["id"]) == ["Anne Tremblay", "Bob Tremblay"]
    # A saved segment of the same search sees the newcomer.
    saved = await agent.execute(
        CREATE, {"input": {"organizationId": world.org_gid, "name": "Live", "search": "tremblay"}}
    )
    live = saved.ok("segmentCreate")["segment"]
    assert live["kind"] == "SAVED"
    assert await names(agent, live["id"]) == ["Anne Tremblay", "Bob Tremblay", "Dora Tremblay"]


async def test_members_from_ids_are_added_and_removed_with_an_audit_trail(api, world):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    bob = await new_contact(world.organization, "Bob Roy")
    carl = await new_contact(world.organization, "Carl Roy")
    archived = await new_contact(world.organization, "Dan Roy", archived=True)
    created = await agent.execute(
        CREATE, static_input(world, contactIds=[gid(bob), gid(anne), gid(archived)])
    )
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    assert await names(agent, segment_id) == ["Anne Roy", "Bob Roy"]  # archived left out
    added = await agent.execute(ADD, {"id": segment_id, "ids": [gid(carl), gid(anne)]})
    assert added.ok("segmentMembersAdd")["segment"]["count"] == 3
    again = await agent.execute(ADD, {"id": segment_id, "ids": [gid(carl)]})
    assert again.ok("segmentMembersAdd")["segment"]["count"] == 3  # idempotent
    removed = await agent.execute(REMOVE, {"id": segment_id, "ids": [gid(anne), gid(anne)]})
    assert removed.ok("segmentMembersRemove")["segment"]["count"] == 2
    assert await names(agent, segment_id) == ["Bob Roy", "Carl Roy"]
    events = await AuditEvent.filter(action__startswith="segment.members").order_by("id")
    assert [(e.action, e.after) for e in events] == [
        ("segment.members_add", {"count": 1}),
        ("segment.members_add", {"count": 0}),
        ("segment.members_remove", {"count": 1}),
    ]


async def test_another_organizations_contact_is_not_found_and_nothing_is_written(api, world):
    agent = api.as_(world.agent)
    mine = await new_contact(world.organization, "Anne Roy")
    theirs = await new_contact(world.other_organization, "Zoé Roy")
    refused = await agent.execute(
        CREATE, static_input(world, contactIds=[gid(mine), gid(theirs), "nonsense"])
    )
    errors = refused.data["segmentCreate"]["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("NOT_FOUND", ["input", "contactIds", 1]),
        ("NOT_FOUND", ["input", "contactIds", 2]),
    ]
    assert not await Segment.exists()
    created = await agent.execute(CREATE, static_input(world, contactIds=[]))
    segment_id = created.ok("segmentCreate")["segment"]["id"]
    refused = await agent.execute(ADD, {"id": segment_id, "ids": [gid(mine), gid(theirs)]})
    assert refused.payload_codes("segmentMembersAdd") == ["NOT_FOUND"]
    assert refused.data["segmentMembersAdd"]["errors"][0]["field"] == ["input", "contactIds", 1]
    assert not await SegmentMember.exists()


async def test_a_saved_segment_refuses_members_and_lists_are_bounded(api, world):
    agent = api.as_(world.agent)
    anne = await new_contact(world.organization, "Anne Roy")
    saved = await agent.execute(
        CREATE, {"input": {"organizationId": world.org_gid, "name": "Live"}}
    )
    segment_id = saved.ok("segmentCreate")["segment"]["id"]
    for mutation, field in ((ADD, "segmentMembersAdd"), (REMOVE, "segmentMembersRemove")):
        refused = await agent.execute(mutation, {"id": segment_id, "ids": [gid(anne)]})
        [error] = refused.data[field]["errors"]
        assert (error["code"], error["field"]) == ("INVALID", ["input", "id"])
        assert "static" in error["message"]
    with_ids = await agent.execute(
        CREATE,
        {"input": {"organizationId": world.org_gid, "name": "X", "contactIds": [gid(anne)]}},
    )
    assert with_ids.payload_codes("segmentCreate") == ["INVALID"]
    static = await agent.execute(CREATE, static_input(world, contactIds=[]))
    static_id = static.ok("segmentCreate")["segment"]["id"]
    too_many = await agent.execute(ADD, {"id": static_id, "ids": [gid(anne)] * 501})
    [error] = too_many.data["segmentMembersAdd"]["errors"]
    assert (error["code"], error["field"]) == ("TOO_LONG", ["input", "contactIds"])
    assert not await SegmentMember.exists()
    french = await agent.execute(
        ADD, {"id": segment_id, "ids": [gid(anne)]}, **{"accept-language": "fr"}
    )
    assert "statique" in french.data["segmentMembersAdd"]["errors"][0]["message"]


async def test_five_or_thirty_members_cost_the_same_statements(api, world):
    for i in range(40):
        await new_contact(world.organization, f"Person P{i:03}")
    agent = api.as_(world.agent)
    created = await agent.execute(CREATE, static_input(world, search="person"))
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
