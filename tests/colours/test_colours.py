"""The colour palette, and the one colour a contact carries, set one by one or many at once."""

from models.audit import AuditEvent
from models.colours import Colour
from models.contacts import Contact
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.colours.colours import PALETTE_LIMIT
from resolvers.contacts.records import MAX_CONTACTS_PER_CALL
from schema import ids as global_ids
from tests.support.contacts import gid, new_contact

ERRORS = "errors { code field message }"
PALETTE = "query($o: ID!) { colours(organizationId: $o) { id name hex } }"
CREATE = f"""mutation($input: ColourCreateInput!) {{
  colourCreate(input: $input) {{ colour {{ id name hex }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: ColourUpdateInput!) {{
  colourUpdate(input: $input) {{ colour {{ id name hex }} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{
  colourDelete(input: {{id: $id}}) {{ deletedColourId {ERRORS} }} }}"""
SET_ONE = f"""mutation($contactId: ID!, $colourId: ID) {{
  contactColourSet(input: {{contactId: $contactId, colourId: $colourId}}) {{
    contact {{ id }} {ERRORS} }} }}"""
SET_MANY = f"""mutation($o: ID!, $contactIds: [ID!]!, $colourId: ID) {{
  contactsColourSet(input: {{organizationId: $o, contactIds: $contactIds, colourId: $colourId}}) {{
    contacts {{ id }} {ERRORS} }} }}"""


def create_input(world, name="Rouge", hex="#FF0000", org=None):
    return {"input": {"organizationId": org or world.org_gid, "name": name, "hex": hex}}


async def colour(world, name="Bleu", hex="#0000ff", organization=None):
    return await Colour.create(organization=organization or world.organization, name=name, hex=hex)


async def colour_of(contact) -> int | None:
    return (await Contact.get(id=contact.id)).colour_id


async def test_the_palette_is_created_renamed_and_deleted_with_an_audit_trail(api, world):
    admin = api.as_(world.admin)
    created = (await admin.execute(CREATE, create_input(world, " Rouge ", "#FF00aa"))).ok(
        "colourCreate"
    )["colour"]
    assert (created["name"], created["hex"]) == ("Rouge", "#ff00aa")  # trimmed, lower case
    await admin.execute(CREATE, create_input(world, "Ambre", "#ffbf00"))
    palette = (await api.as_(world.viewer).execute(PALETTE, {"o": world.org_gid})).data["colours"]
    assert [c["name"] for c in palette] == ["Ambre", "Rouge"]

    renamed = await admin.execute(UPDATE, {"input": {"id": created["id"], "name": "Cerise"}})
    assert renamed.ok("colourUpdate")["colour"] == {**created, "name": "Cerise"}

    deleted = await admin.execute(DELETE, {"id": created["id"]})
    assert deleted.ok("colourDelete")["deletedColourId"] == created["id"]
    assert not await Colour.filter(name="Cerise").exists()
    actions = [
        e.action for e in await AuditEvent.filter(action__startswith="colour.").order_by("id")
    ]
    assert actions == ["colour.create", "colour.create", "colour.update", "colour.delete"]
    update = await AuditEvent.get(action="colour.update")
    assert (update.before, update.after) == ({"name": "Rouge"}, {"name": "Cerise"})


async def test_deleting_a_colour_leaves_its_contacts_without_one(api, world):
    red = await colour(world, "Rouge", "#ff0000")
    contacts = [await new_contact(world.organization) for _ in range(2)]
    await Contact.filter(id__in=[c.id for c in contacts]).update(colour_id=red.id)
    result = await api.as_(world.owner).execute(DELETE, {"id": gid(red)})
    assert result.ok("colourDelete")
    assert [await colour_of(c) for c in contacts] == [None, None]
    assert await Contact.filter(organization=world.organization).count() == 2
    event = await AuditEvent.get(action="colour.delete")
    assert event.before == {"name": "Rouge", "hex": "#ff0000", "contact_count": 2}


async def test_bad_codes_and_taken_names_are_refused_and_nothing_is_written(api, world):
    await colour(world, "Bleu")
    admin = api.as_(world.admin)
    for bad in ("#12345", "ff0000", "#gggggg", "#ff00001", "red", ""):
        result = await admin.execute(CREATE, create_input(world, "Neuve", bad))
        [error] = result.payload("colourCreate")["errors"]
        assert (error["code"], error["field"]) == ("INVALID", ["input", "hex"]), bad
    both = await admin.execute(CREATE, create_input(world, "  ", "#zzz"))
    assert [(e["code"], e["field"]) for e in both.payload("colourCreate")["errors"]] == [
        ("REQUIRED", ["input", "name"]),
        ("INVALID", ["input", "hex"]),
    ]
    taken = await admin.execute(CREATE, create_input(world, "BLEU", "#0000aa"))
    [error] = taken.payload("colourCreate")["errors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXISTS", ["input", "name"])
    assert await Colour.all().count() == 1
    assert not await AuditEvent.filter(action__startswith="colour.").exists()


async def test_a_name_is_unique_per_organization_only(api, world):
    await colour(world, "Bleu", organization=world.other_organization)
    result = await api.as_(world.admin).execute(CREATE, create_input(world, "Bleu", "#0000ff"))
    assert result.ok("colourCreate")["colour"]["name"] == "Bleu"


async def test_renaming_onto_another_colour_is_refused(api, world):
    await colour(world, "Bleu")
    green = await colour(world, "Vert", "#00ff00")
    result = await api.as_(world.admin).execute(
        UPDATE, {"input": {"id": gid(green), "name": "bleu", "hex": "#00FF01"}}
    )
    assert result.payload_codes("colourUpdate") == ["ALREADY_EXISTS"]
    green = await Colour.get(id=green.id)
    assert (green.name, green.hex) == ("Vert", "#00ff00")


async def test_messages_follow_the_readers_language(api, world):
    await colour(world, "Bleu")
    admin = api.as_(world.admin).with_headers(**{"accept-language": "fr"})
    bad = await admin.execute(CREATE, create_input(world, "Bleu", "bleu"))
    messages = {e["code"]: e["message"] for e in bad.payload("colourCreate")["errors"]}
    assert messages["INVALID"] == "Utilisez un code de couleur comme #1e90ff (#rrggbb)."
    taken = await admin.execute(CREATE, create_input(world, "Bleu", "#0000ff"))
    [error] = taken.payload("colourCreate")["errors"]
    assert error["message"] == "Une couleur porte déjà ce nom."


async def test_only_managers_define_colours(api, world):
    for who in (world.agent, world.viewer, world.billing_admin):
        result = await api.as_(who).execute(CREATE, create_input(world))
        assert result.error_codes == ["FORBIDDEN"]
    other = await api.as_(world.outsider).execute(CREATE, create_input(world))
    [error] = other.payload("colourCreate")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "organizationId"])
    assert not await Colour.exists()


async def test_an_agent_sets_and_clears_a_contacts_colour(api, world):
    red = await colour(world, "Rouge", "#ff0000")
    contact = await new_contact(world.organization)
    agent = api.as_(world.agent)
    result = await agent.execute(SET_ONE, {"contactId": gid(contact), "colourId": gid(red)})
    assert result.ok("contactColourSet")["contact"]["id"] == gid(contact)
    assert await colour_of(contact) == red.id
    again = await agent.execute(SET_ONE, {"contactId": gid(contact), "colourId": gid(red)})
    assert again.ok("contactColourSet")
    cleared = await agent.execute(SET_ONE, {"contactId": gid(contact), "colourId": None})
    assert cleared.ok("contactColourSet")
    assert await colour_of(contact) is None
    events = await AuditEvent.filter(action="contact.colour_set").order_by("id")
    assert [(e.before, e.after) for e in events] == [  # setting the same colour twice: one
        ({"colour_id": None}, {"colour_id": red.id}),
        ({"colour_id": red.id}, {"colour_id": None}),
    ]
    viewer = await api.as_(world.viewer).execute(
        SET_ONE, {"contactId": gid(contact), "colourId": gid(red)}
    )
    assert viewer.error_codes == ["FORBIDDEN"]


async def test_foreign_or_missing_colours_and_contacts_are_not_found(api, world):
    mine = await colour(world, "Rouge")
    theirs = await colour(world, "Rouge", organization=world.other_organization)
    contact = await new_contact(world.organization)
    stranger = await new_contact(world.other_organization)
    agent = api.as_(world.agent)
    for variables, field in (
        ({"contactId": gid(contact), "colourId": gid(theirs)}, "colourId"),
        ({"contactId": gid(contact), "colourId": gid(contact)}, "colourId"),  # not a colour
        ({"contactId": gid(stranger), "colourId": gid(mine)}, "contactId"),
        ({"contactId": gid(stranger), "colourId": None}, "contactId"),
    ):
        result = await agent.execute(SET_ONE, variables)
        [error] = result.payload("contactColourSet")["errors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", field]), variables
    assert await colour_of(contact) is None and await colour_of(stranger) is None


async def test_many_contacts_at_once_all_or_nothing(api, world):
    red = await colour(world, "Rouge")
    contacts = [await new_contact(world.organization) for _ in range(3)]
    stranger = await new_contact(world.other_organization)
    agent = api.as_(world.agent)
    variables = {"o": world.org_gid, "colourId": gid(red)}
    listed = [gid(c) for c in contacts]
    refused = await agent.execute(SET_MANY, {**variables, "contactIds": [*listed, gid(stranger)]})
    [error] = refused.payload("contactsColourSet")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "contactIds", 3])
    assert [await colour_of(c) for c in contacts] == [None, None, None]

    done = await agent.execute(SET_MANY, {**variables, "contactIds": [*listed, listed[0]]})
    assert [c["id"] for c in done.ok("contactsColourSet")["contacts"]] == listed
    assert [await colour_of(c) for c in contacts] == [red.id] * 3
    event = await AuditEvent.get(action="contacts.colour_set")
    assert event.after == {"colour_id": red.id, "contact_ids": [c.id for c in contacts]}

    cleared = await agent.execute(SET_MANY, {"o": world.org_gid, "contactIds": listed[:2]})
    assert cleared.ok("contactsColourSet")
    assert [await colour_of(c) for c in contacts] == [None, None, red.id]


async def test_every_bad_id_of_a_list_is_reported_at_its_index(api, world):
    red = await colour(world, "Rouge")
    contact = await new_contact(world.organization)
    listed = ["not an id", gid(contact), gid(red), global_ids.encode("Contact", 999999)]
    result = await api.as_(world.agent).execute(
        SET_MANY, {"o": world.org_gid, "contactIds": listed, "colourId": gid(red)}
    )
    errors = result.payload("contactsColourSet")["errors"]
    assert [(e["code"], e["field"][-1]) for e in errors] == [
        ("NOT_FOUND", 0),
        ("NOT_FOUND", 2),
        ("NOT_FOUND", 3),
    ]
    assert await colour_of(contact) is None


async def test_a_foreign_colour_in_a_bulk_call_is_not_found(api, world):
    theirs = await colour(world, "Rouge", organization=world.other_organization)
    contact = await new_contact(world.organization)
    result = await api.as_(world.agent).execute(
        SET_MANY, {"o": world.org_gid, "contactIds": [gid(contact)], "colourId": gid(theirs)}
    )
    [error] = result.payload("contactsColourSet")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "colourId"])


async def test_a_bulk_call_is_capped(api, world):
    contact = await new_contact(world.organization)
    result = await api.as_(world.agent).execute(
        SET_MANY, {"o": world.org_gid, "contactIds": [gid(contact)] * (MAX_CONTACTS_PER_CALL + 1)}
    )
    [error] = result.payload("contactsColourSet")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "contactIds"])
    assert "500" in error["message"]


async def test_a_role_in_another_organization_grants_nothing_here(api, world):
    # The outsider owns the other organization and only views this one: naming one of
    # their own colours does not lend that role to a change of this organization's contact.
    await StaffMembership.create(
        organization=world.organization,
        user=world.outsider.user,
        role=Role.VIEWER,
        status=MembershipStatus.ACTIVE,
    )
    theirs = await colour(world, "Rouge", organization=world.other_organization)
    contact = await new_contact(world.organization)
    result = await api.as_(world.outsider).execute(
        SET_ONE, {"contactId": gid(contact), "colourId": gid(theirs)}
    )
    assert result.error_codes == ["FORBIDDEN"]
    assert await colour_of(contact) is None


async def test_a_palette_stays_small_enough_to_list_whole(api, world):
    await Colour.bulk_create(
        [
            Colour(organization=world.organization, name=f"C{i:03}", hex="#000000")
            for i in range(PALETTE_LIMIT)
        ]
    )
    result = await api.as_(world.admin).execute(CREATE, create_input(world))
    [error] = result.payload("colourCreate")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "organizationId"])
    assert await Colour.filter(organization=world.organization).count() == PALETTE_LIMIT
