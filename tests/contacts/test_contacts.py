"""contactCreate, contactUpdate, contactArchive/Restore and contact(id): what staff enter,
how it is validated and normalized, and what the audit log keeps."""

from datetime import date, timedelta

from models.audit import AuditEvent
from models.contacts import Contact
from tests.contacts.contact_flows import (
    ARCHIVE,
    CONTACT,
    CREATE,
    LIST,
    RESTORE,
    UPDATE,
    create,
    create_input,
    gid,
    make_contact,
    names,
    pk,
)


async def test_a_name_is_enough_to_enter_a_contact_in_advance(api, world):
    result = await api.as_(world.agent).execute(CREATE, create_input(world, firstName="Zoé"))
    contact = result.ok("contactCreate")["contact"]
    assert contact["kind"] == "PERSON" and contact["displayName"] == "Zoé"
    assert contact["source"] == "STAFF_ENTRY"
    assert contact["email"] is None and contact["phone"] is None
    assert contact["locale"] == "EN"  # the organization's
    assert contact["isUser"] is False and contact["isSubscriber"] is False
    assert contact["emailConsent"]["status"] == "NOT_ASKED"
    assert contact["marketingAllowed"] == {"email": False, "sms": False}
    row = await Contact.get(id=pk(contact["id"]))
    assert row.sort_name == "zoe" and row.search_text == "zoe"
    assert row.last_activity_at is None  # entered, not seen yet


async def test_every_field_is_normalized(api, world):
    contact = await create(
        api,
        world,
        firstName="  Marie-Ève ",
        lastName="Dèsjardins",
        email=" Marie.Desjardins@Example.TEST ",
        phone="(514) 555-0123",
        birthDate="1990-05-17",
        locale="FR",
        addressLine1="12 rue Principale",
        city="Montréal",
        region="QC",
        postalCode="H2X 1Y4",
        country="ca",
        notes="Préfère le matin.\nAllergie : arachides.",
        source="PURCHASE",
    )
    assert contact["firstName"] == "Marie-Ève" and contact["lastName"] == "Dèsjardins"
    assert contact["email"] == "marie.desjardins@example.test"
    assert contact["phone"] == "+15145550123"  # the organization's country (CA) by default
    assert contact["address"]["country"] == "CA" and contact["address"]["city"] == "Montréal"
    assert contact["notes"] == "Préfère le matin.\nAllergie : arachides."
    assert contact["source"] == "PURCHASE" and contact["locale"] == "FR"
    row = await Contact.get(email="marie.desjardins@example.test")
    assert row.sort_name == "desjardins, marie-eve"
    assert row.search_text == ("marie-eve desjardins marie.desjardins@example.test 15145550123")


async def test_an_international_number_keeps_its_country(api, world):
    contact = await create(api, world, firstName="Jean", phone="+33 6 12 34 56 78")
    assert contact["phone"] == "+33612345678"
    row = await Contact.get(phone="+33612345678")
    # Found as typed at home too: "06 12 34 56 78".
    assert "0612345678" in row.search_text


async def test_an_organization_contact_needs_its_name(api, world):
    agent = api.as_(world.agent)
    missing = await agent.execute(CREATE, create_input(world, kind="ORGANIZATION"))
    assert missing.payload("contactCreate")["errors"] == [
        {
            "code": "REQUIRED",
            "field": ["input", "organizationName"],
            "message": "This field is required.",
        }
    ]
    school = await create(api, world, kind="ORGANIZATION", organizationName="École Saint-Jean")
    assert school["displayName"] == "École Saint-Jean"
    assert (await Contact.get(organization_name="École Saint-Jean")).sort_name == (
        "ecole saint-jean"
    )


async def test_bad_input_is_reported_per_field_and_nothing_is_written(api, world):
    result = await api.as_(world.agent).execute(
        CREATE,
        create_input(
            world,
            firstName="   ",
            email="not an email",
            phone="123",
            birthDate=(date.today() + timedelta(days=2)).isoformat(),
            country="Canada",
            lastName="x" * 101,
        ),
    )
    errors = result.payload("contactCreate")["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} == {
        ("INVALID_EMAIL", ("input", "email")),
        ("INVALID", ("input", "phone")),
        ("INVALID", ("input", "birthDate")),
        ("INVALID", ("input", "country")),
        ("TOO_LONG", ("input", "lastName")),
    }
    assert result.payload("contactCreate")["contact"] is None
    assert await Contact.all().count() == 0
    assert not await AuditEvent.filter(action__startswith="contact.").exists()


async def test_an_address_country_must_be_an_iso_3166_code(api, world):
    for country in ("ZZ", "XK"):
        result = await api.as_(world.agent).execute(
            CREATE, create_input(world, firstName="Zoé", country=country)
        )
        errors = result.payload("contactCreate")["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "country"])]
    assert await Contact.all().count() == 0
    contact = await create(api, world, firstName="Zoé", country="be")
    assert contact["address"]["country"] == "BE"


async def test_a_person_needs_a_first_or_last_name(api, world):
    result = await api.as_(world.agent).execute(
        CREATE, create_input(world, email="someone@example.test")
    )
    assert result.payload("contactCreate")["errors"] == [
        {
            "code": "REQUIRED",
            "field": ["input", "firstName"],
            "message": "Enter a first or last name.",
        }
    ]
    lastname_only = await create(api, world, lastName="Tremblay")
    assert lastname_only["displayName"] == "Tremblay"


async def test_errors_are_in_french_for_a_french_reader(api, world):
    result = await api.as_(world.agent).execute(
        CREATE,
        create_input(world, email="nope", phone="12", birthDate="2999-01-01"),
        **{"accept-language": "fr-CA,fr;q=0.9"},
    )
    messages = {e["field"][1]: e["message"] for e in result.payload("contactCreate")["errors"]}
    assert messages == {
        "email": "Entrez une adresse courriel valide.",
        "phone": "Entrez un numéro de téléphone valide, p. ex. +1 514 555 0123.",
        "birthDate": "Une date de naissance ne peut pas être dans le futur.",
        "firstName": "Entrez un prénom ou un nom.",
    }


async def test_the_same_email_is_allowed_and_flagged_as_a_possible_duplicate(api, world):
    first = await create(api, world, firstName="Luc", email="famille@example.test")
    result = await api.as_(world.agent).execute(
        CREATE, create_input(world, firstName="Léa", email="Famille@example.test")
    )
    payload = result.ok("contactCreate")
    assert payload["possibleDuplicates"] == [{"id": first["id"]}]
    assert await Contact.filter(email="famille@example.test").count() == 2


async def test_an_update_changes_only_the_fields_given(api, world):
    contact = await create(
        api, world, firstName="Marc", lastName="Roy", email="marc@example.test", city="Laval"
    )
    result = await api.as_(world.agent).execute(
        UPDATE, {"input": {"id": contact["id"], "lastName": "Leroy", "phone": "450 555 0199"}}
    )
    updated = result.ok("contactUpdate")["contact"]
    assert updated["lastName"] == "Leroy" and updated["firstName"] == "Marc"
    assert updated["email"] == "marc@example.test" and updated["address"]["city"] == "Laval"
    assert updated["phone"] == "+14505550199"
    row = await Contact.get(email="marc@example.test")
    assert row.sort_name == "leroy, marc" and "leroy" in row.search_text
    assert "14505550199" in row.search_text
    event = await AuditEvent.get(action="contact.update")
    assert event.before == {"last_name": "Roy", "phone": None}
    assert event.after == {"last_name": "Leroy", "phone": "+14505550199"}
    assert event.actor_id == world.agent.user.id


async def test_null_clears_a_field_and_an_unchanged_update_writes_nothing(api, world):
    contact = await create(api, world, firstName="Ana", email="ana@example.test")
    agent = api.as_(world.agent)
    cleared = await agent.execute(UPDATE, {"input": {"id": contact["id"], "email": None}})
    assert cleared.ok("contactUpdate")["contact"]["email"] is None
    assert (await Contact.get(first_name="Ana")).search_text == "ana"
    same = await agent.execute(UPDATE, {"input": {"id": contact["id"], "firstName": "Ana"}})
    same.ok("contactUpdate")
    assert await AuditEvent.filter(action="contact.update").count() == 1
    refused = await agent.execute(UPDATE, {"input": {"id": contact["id"], "kind": None}})
    assert refused.payload_codes("contactUpdate") == ["REQUIRED"]


async def test_an_update_may_not_leave_a_contact_without_a_name(api, world):
    contact = await create(api, world, firstName="Solo")
    result = await api.as_(world.agent).execute(
        UPDATE, {"input": {"id": contact["id"], "firstName": "", "phone": "nope"}}
    )
    assert sorted(e["field"][1] for e in result.payload("contactUpdate")["errors"]) == [
        "firstName",
        "phone",
    ]
    assert (await Contact.get(first_name="Solo")).phone is None
    becoming = await api.as_(world.agent).execute(
        UPDATE, {"input": {"id": contact["id"], "kind": "ORGANIZATION"}}
    )
    assert becoming.payload("contactUpdate")["errors"][0]["field"] == [
        "input",
        "organizationName",
    ]


async def test_another_organizations_contact_is_not_found(api, world):
    theirs = await make_contact(world.other_organization, first_name="Secret")
    agent = api.as_(world.agent)
    read = await agent.execute(CONTACT, {"id": gid(theirs)})
    assert read.data == {"contact": None} and read.error_codes == ["NOT_FOUND"]
    update = await agent.execute(UPDATE, {"input": {"id": gid(theirs), "firstName": "Mine"}})
    assert update.payload("contactUpdate")["errors"][0]["code"] == "NOT_FOUND"
    assert update.payload("contactUpdate")["errors"][0]["field"] == ["input", "id"]
    archive = await agent.execute(ARCHIVE, {"id": gid(theirs)})
    assert archive.payload_codes("contactArchive") == ["NOT_FOUND"]
    missing = await agent.execute(CONTACT, {"id": gid(999_999)})
    assert missing.error_codes == ["NOT_FOUND"]
    assert (await Contact.get(id=theirs.id)).first_name == "Secret"


async def test_an_id_of_another_type_is_not_found(api, world):
    result = await api.as_(world.agent).execute(
        UPDATE, {"input": {"id": world.org_gid, "firstName": "X"}}
    )
    assert result.payload_codes("contactUpdate") == ["NOT_FOUND"]


async def test_archived_contacts_leave_the_list_but_keep_their_history(api, world):
    kept = await create(api, world, firstName="Kept")
    gone = await create(api, world, firstName="Gone")
    agent = api.as_(world.agent)
    archived = await agent.execute(ARCHIVE, {"id": gone["id"]})
    assert archived.ok("contactArchive")["contact"] == {"id": gone["id"], "archived": True}
    listed = await agent.execute(LIST, {"o": world.org_gid})
    assert names(listed) == ["Kept"]
    only_archived = await agent.execute(LIST, {"o": world.org_gid, "filter": {"archived": True}})
    assert names(only_archived) == ["Gone"]
    # Still readable by id, with what it had.
    assert (await agent.execute(CONTACT, {"id": gone["id"]})).data["contact"]["archived"]
    again = await agent.execute(ARCHIVE, {"id": gone["id"]})
    assert again.payload_codes("contactArchive") == ["INVALID"]
    restored = await agent.execute(RESTORE, {"id": gone["id"]})
    assert restored.ok("contactRestore")["contact"]["archived"] is False
    assert sorted(names(await agent.execute(LIST, {"o": world.org_gid}))) == ["Gone", "Kept"]
    not_archived = await agent.execute(RESTORE, {"id": kept["id"]})
    assert not_archived.payload_codes("contactRestore") == ["INVALID"]
    actions = (
        await AuditEvent.filter(target_type="Contact")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["contact.create", "contact.create", "contact.archive", "contact.restore"]


async def test_creation_is_audited_with_what_was_entered(api, world):
    contact = await create(api, world, firstName="Paul", email="paul@example.test")
    event = await AuditEvent.get(action="contact.create")
    assert event.target_id == str(pk(contact["id"]))
    assert event.organization_id == world.organization.id
    assert event.after["first_name"] == "Paul" and event.after["email"] == "paul@example.test"
    assert event.after["kind"] == "PERSON" and event.after["source"] == "STAFF_ENTRY"


async def test_a_viewer_reads_but_cannot_write(api, world):
    contact = await create(api, world, firstName="Read")
    viewer = api.as_(world.viewer)
    assert (await viewer.execute(CONTACT, {"id": contact["id"]})).data["contact"]["firstName"]
    refused = await viewer.execute(UPDATE, {"input": {"id": contact["id"], "firstName": "W"}})
    assert refused.error_codes == ["FORBIDDEN"]
    assert (await Contact.get(first_name="Read")).first_name == "Read"


async def test_node_returns_a_contact(api, world):
    contact = await create(api, world, firstName="Nodal")
    result = await api.as_(world.viewer).execute(
        "query($id: ID!) { node(id: $id) { ... on Contact { firstName } } }", {"id": contact["id"]}
    )
    assert result.data == {"node": {"firstName": "Nodal"}}
    outsider = await api.as_(world.outsider).execute(
        "query($id: ID!) { node(id: $id) { id } }", {"id": contact["id"]}
    )
    assert outsider.error_codes == ["NOT_FOUND"]
