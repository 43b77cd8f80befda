"""contactsBulkColourSet on every form of target, through the API and a burst worker."""

from models.audit import AuditEvent
from models.bulk import BulkOperation, BulkOperationItem
from models.colours import Colour
from models.contacts import Contact
from models.segments import Segment, SegmentKind, SegmentMember
from models.tasks import Task
from schema import ids
from tests.bulk.support import COLOUR_SET, pk, read, run_chunks
from tests.support.contacts import gid, new_contact


async def a_colour(organization, name="Gold"):
    return await Colour.create(organization=organization, name=name, hex="#ffd700")


def colour_input(world, target, colour=None):
    return {
        "input": {
            "organizationId": world.org_gid,
            "target": target,
            "colourId": gid(colour) if colour else None,
        }
    }


def segment_gid(segment) -> str:
    return ids.encode("Segment", segment.id)


async def colours_of(organization) -> dict[str, int | None]:
    rows = await Contact.filter(organization=organization).values_list("first_name", "colour_id")
    return dict(rows)


async def test_colouring_everyone_matching_a_search_and_filter(api, world, settings):
    agent = api.as_(world.agent)
    gold = await a_colour(world.organization)
    for name in ("Anne Roy", "Bob Roy", "Carl Tremblay", "Dan Roy"):
        await new_contact(world.organization, name)
    await new_contact(world.organization, "Eve Roy", archived=True)
    await new_contact(world.other_organization, "Zoé Roy")
    started = await agent.execute(COLOUR_SET, colour_input(world, {"search": "roy"}, gold))
    operation = started.ok("contactsBulkColourSet")["operation"]
    assert (operation["kind"], operation["state"], operation["total"]) == (
        "CONTACT_COLOUR_SET",
        "CREATED",
        3,
    )
    assert operation["startedBy"]["id"] == world.agent.gid
    assert operation["target"] == {"search": "roy", "filter": operation["target"]["filter"]}
    await run_chunks(settings)
    done = await read(agent, operation["id"])
    assert (done["state"], done["processed"], done["succeeded"], done["skipped"]) == (
        "COMPLETED",
        3,
        3,
        0,
    )
    assert done["startedAt"] and done["finishedAt"]
    assert done["canUndo"] is True
    assert await colours_of(world.organization) == {
        "Anne": gold.id,
        "Bob": gold.id,
        "Carl": None,
        "Dan": gold.id,
        "Eve": None,
    }
    assert set((await colours_of(world.other_organization)).values()) == {None}
    events = await AuditEvent.filter(action__startswith="bulk_operation").order_by("id")
    assert [(e.action, e.after["total"]) for e in events] == [
        ("bulk_operation.start", 3),
        ("bulk_operation.complete", 3),
    ]
    assert events[1].after["succeeded"] == 3


async def test_a_static_segment_and_ids_as_targets(api, world, settings):
    agent = api.as_(world.agent)
    gold = await a_colour(world.organization)
    anne = await new_contact(world.organization, "Anne Roy")
    bob = await new_contact(world.organization, "Bob Roy")
    carl = await new_contact(world.organization, "Carl Roy")
    static = await Segment.create(
        organization=world.organization, name="S", name_key="s", kind=SegmentKind.STATIC
    )
    await SegmentMember.create(segment=static, contact=bob)
    by_segment = await agent.execute(
        COLOUR_SET, colour_input(world, {"segmentId": segment_gid(static)}, gold)
    )
    assert by_segment.ok("contactsBulkColourSet")["operation"]["total"] == 1
    await run_chunks(settings)
    by_ids = await agent.execute(
        COLOUR_SET, colour_input(world, {"contactIds": [gid(carl), gid(bob), gid(carl)]}, gold)
    )
    assert by_ids.ok("contactsBulkColourSet")["operation"]["total"] == 2
    await run_chunks(settings)
    assert await colours_of(world.organization) == {"Anne": None, "Bob": gold.id, "Carl": gold.id}
    second = await read(agent, by_ids.data["contactsBulkColourSet"]["operation"]["id"])
    # Bob was coloured by the first operation: nothing left to do for him.
    assert (second["succeeded"], second["skipped"]) == (1, 1)
    skipped = await read(agent, second["id"], status="SKIPPED")
    [edge] = skipped["results"]["edges"]
    assert edge["node"] == {
        "recordId": gid(bob),
        "status": "SKIPPED",
        "reasonCode": "UNCHANGED",
        "message": "The contact already had this colour.",
    }
    assert anne.colour_id is None


async def test_a_saved_segment_is_frozen_when_the_operation_starts(api, world, settings):
    agent = api.as_(world.agent)
    gold = await a_colour(world.organization)
    await new_contact(world.organization, "Anne Roy")
    saved = await Segment.create(
        organization=world.organization, name="Roy", name_key="roy", search="roy"
    )
    started = await agent.execute(
        COLOUR_SET, colour_input(world, {"segmentId": segment_gid(saved)}, gold)
    )
    operation = started.ok("contactsBulkColourSet")["operation"]
    await new_contact(world.organization, "Bob Roy")  # matches, but after the start
    await run_chunks(settings)
    assert await colours_of(world.organization) == {"Anne": gold.id, "Bob": None}
    done = await read(agent, operation["id"])
    assert (done["total"], done["succeeded"]) == (1, 1)


async def test_another_organizations_segment_ids_or_colour_are_not_found(api, world):
    agent = api.as_(world.agent)
    mine = await new_contact(world.organization, "Anne Roy")
    theirs = await new_contact(world.other_organization, "Zoé Roy")
    their_segment = await Segment.create(
        organization=world.other_organization, name="S", name_key="s"
    )
    their_colour = await a_colour(world.other_organization)
    cases = [
        (
            colour_input(world, {"segmentId": segment_gid(their_segment)}),
            ["input", "target", "segmentId"],
        ),
        (
            colour_input(world, {"contactIds": [gid(mine), gid(theirs)]}),
            ["input", "target", "contactIds", 1],
        ),
        (colour_input(world, {"contactIds": [gid(mine)]}, their_colour), ["input", "colourId"]),
        (
            colour_input(world, {"filter": {"colourIds": [gid(their_colour)]}}),
            ["input", "target", "filter", "colourIds"],
        ),
    ]
    for variables, field in cases:
        refused = await agent.execute(COLOUR_SET, variables)
        [error] = refused.data["contactsBulkColourSet"]["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", field), error
    assert not await BulkOperation.exists()
    assert not await Task.exists()


async def test_an_empty_target_or_an_ambiguous_one_writes_nothing(api, world):
    agent = api.as_(world.agent)
    await new_contact(world.organization, "Anne Roy")
    empty = await agent.execute(COLOUR_SET, colour_input(world, {"search": "nobody"}))
    [error] = empty.data["contactsBulkColourSet"]["errors"]
    assert (error["code"], error["field"]) == ("EMPTY_TARGET", ["input", "target"])
    french = await agent.execute(
        COLOUR_SET, colour_input(world, {"search": "nobody"}), **{"accept-language": "fr"}
    )
    assert french.data["contactsBulkColourSet"]["errors"][0]["message"] != error["message"]
    both = await agent.execute(COLOUR_SET, colour_input(world, {"search": "roy", "contactIds": []}))
    assert both.payload_codes("contactsBulkColourSet") == ["INVALID"]
    neither = await agent.execute(COLOUR_SET, colour_input(world, {}))
    assert neither.payload_codes("contactsBulkColourSet") == ["INVALID"]
    assert not await BulkOperation.exists()
    assert not await BulkOperationItem.exists()
    assert not await Task.exists()
    assert not await AuditEvent.filter(action__startswith="bulk_operation").exists()


async def test_the_operation_is_read_by_id_and_listed(api, world, settings):
    agent = api.as_(world.agent)
    await new_contact(world.organization, "Anne Roy")
    started = await agent.execute(COLOUR_SET, colour_input(world, {"search": "roy"}))
    operation_id = started.ok("contactsBulkColourSet")["operation"]["id"]
    listed = await agent.execute(
        """query($o: ID!) { bulkOperations(organizationId: $o, state: CREATED,
        kind: CONTACT_COLOUR_SET, first: 5) { edges { node { id state } } } }""",
        {"o": world.org_gid},
    )
    assert [e["node"]["id"] for e in listed.data["bulkOperations"]["edges"]] == [operation_id]
    await run_chunks(settings)
    none_running = await agent.execute(
        "query($o: ID!) { bulkOperations(organizationId: $o, state: RUNNING) "
        "{ edges { node { id } } } }",
        {"o": world.org_gid},
    )
    assert none_running.data["bulkOperations"]["edges"] == []
    outsider = await api.as_(world.outsider).execute(
        "query($id: ID!) { bulkOperation(id: $id) { id } }", {"id": operation_id}
    )
    assert outsider.error_codes == ["NOT_FOUND"]
    assert await BulkOperation.filter(id=pk(operation_id)).count() == 1
