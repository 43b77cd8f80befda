"""contactsBulkGroupAdd / contactsBulkGroupRemove through the API and a burst worker."""

from models.bulk import BulkItemStatus, BulkOperation, BulkOperationItem
from models.groups import Group, GroupMember
from tests.bulk.support import ERRORS, OPERATION, pk, read, run_chunks
from tests.support.contacts import gid, new_contact

ADD = f"""mutation($input: ContactsBulkGroupInput!) {{
  contactsBulkGroupAdd(input: $input) {{ operation {{ {OPERATION} }} {ERRORS} }} }}"""
REMOVE = ADD.replace("contactsBulkGroupAdd", "contactsBulkGroupRemove")


def group_input(world, group, target):
    return {"input": {"organizationId": world.org_gid, "groupId": gid(group), "target": target}}


async def members(group) -> set[str]:
    rows = await GroupMember.filter(group=group).values_list("contact__first_name", flat=True)
    return set(rows)


async def test_adding_everyone_matching_then_removing_a_segment_of_them(api, world, settings):
    agent = api.as_(world.agent)
    team = await Group.create(organization=world.organization, name="Team")
    anne = await new_contact(world.organization, "Anne Roy")
    await new_contact(world.organization, "Bob Roy")
    await new_contact(world.organization, "Carl Tremblay")
    await GroupMember.create(group=team, contact=anne)
    added = await agent.execute(ADD, group_input(world, team, {"search": "roy"}))
    operation = added.ok("contactsBulkGroupAdd")["operation"]
    assert (operation["kind"], operation["total"]) == ("CONTACT_GROUP_ADD", 2)
    await run_chunks(settings)
    assert await members(team) == {"Anne", "Bob"}
    done = await read(agent, operation["id"])
    assert (done["state"], done["succeeded"], done["skipped"]) == ("COMPLETED", 1, 1)
    skipped = await read(agent, operation["id"], status="SKIPPED")
    assert [e["node"]["reasonCode"] for e in skipped["results"]["edges"]] == ["ALREADY_MEMBER"]
    bob_item = await BulkOperationItem.get(
        operation_id=pk(operation["id"]), status=BulkItemStatus.SUCCEEDED
    )
    assert (bob_item.before, bob_item.after) == ({"member": False}, {"member": True})

    others = await Group.create(organization=world.organization, name="Others")
    removed = await agent.execute(
        REMOVE, group_input(world, team, {"filter": {"groups": {"ids": [gid(team)]}}})
    )
    removal = removed.ok("contactsBulkGroupRemove")["operation"]
    await run_chunks(settings)
    assert await members(team) == set()
    assert (await read(agent, removal["id"]))["succeeded"] == 2
    nobody = await agent.execute(
        REMOVE, group_input(world, others, {"filter": {"groups": {"ids": [gid(others)]}}})
    )
    assert nobody.payload_codes("contactsBulkGroupRemove") == ["EMPTY_TARGET"]


async def test_removing_contacts_not_in_the_group_skips_them(api, world, settings):
    agent = api.as_(world.agent)
    team = await Group.create(organization=world.organization, name="Team")
    anne = await new_contact(world.organization, "Anne Roy")
    removed = await agent.execute(REMOVE, group_input(world, team, {"contactIds": [gid(anne)]}))
    operation_id = removed.ok("contactsBulkGroupRemove")["operation"]["id"]
    await run_chunks(settings)
    done = await read(agent, operation_id)
    assert (done["succeeded"], done["skipped"]) == (0, 1)
    assert done["results"]["edges"][0]["node"]["reasonCode"] == "NOT_MEMBER"


async def test_a_group_deleted_while_it_runs_fails_its_records(api, world, settings):
    agent = api.as_(world.agent)
    team = await Group.create(organization=world.organization, name="Team")
    anne = await new_contact(world.organization, "Anne Roy")
    added = await agent.execute(ADD, group_input(world, team, {"contactIds": [gid(anne)]}))
    operation_id = added.ok("contactsBulkGroupAdd")["operation"]["id"]
    await team.delete()
    await run_chunks(settings)
    done = await read(agent, operation_id)
    assert (done["state"], done["failed"]) == ("COMPLETED", 1)
    node = done["results"]["edges"][0]["node"]
    assert (node["status"], node["reasonCode"]) == ("FAILED", "GROUP_DELETED")


async def test_another_organizations_group_is_not_found(api, world):
    theirs = await Group.create(organization=world.other_organization, name="Theirs")
    anne = await new_contact(world.organization, "Anne Roy")
    for mutation, field in ((ADD, "contactsBulkGroupAdd"), (REMOVE, "contactsBulkGroupRemove")):
        refused = await api.as_(world.agent).execute(
            mutation, group_input(world, theirs, {"contactIds": [gid(anne)]})
        )
        [error] = refused.data[field]["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "groupId"])
    assert not await BulkOperation.exists()
