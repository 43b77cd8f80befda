"""Custom fields: managers define bilingual forms of typed questions; agents save a
contact's answers one section or form at a time, checked against each question, with the
required ones enforced there and nowhere else."""

from carnet.statements import count_statements
from models.audit import AuditEvent
from models.colours import Colour
from models.custom_fields import (
    CustomField,
    CustomFieldAnswer,
    CustomFieldType,
    CustomForm,
    CustomSection,
)
from models.groups import Group
from schema import ids
from tests.custom_fields_authz_examples import a_fresh_field, a_fresh_section
from tests.support.contacts import new_contact

ERRORS = "errors { code field message }"
QUESTION = "id key label labelEn labelFr type required archivedAt choices { value label }"
FORMS = f"""query($o: ID!, $archived: Boolean! = false) {{ customForms(organizationId: $o) {{
  id name nameEn nameFr position
  sections {{ id name position fields(includeArchived: $archived) {{ {QUESTION} }} }} }} }}"""
FORM_CREATE = f"""mutation($input: CustomFormCreateInput!) {{
  customFormCreate(input: $input) {{ form {{ id name }} {ERRORS} }} }}"""
FORM_DELETE = f"""mutation($id: ID!) {{
  customFormDelete(input: {{id: $id}}) {{ deletedFormId {ERRORS} }} }}"""
SECTION_CREATE = f"""mutation($input: CustomSectionCreateInput!) {{
  customSectionCreate(input: $input) {{ section {{ id name }} {ERRORS} }} }}"""
SECTION_DELETE = f"""mutation($id: ID!) {{
  customSectionDelete(input: {{id: $id}}) {{ deletedSectionId {ERRORS} }} }}"""
FIELD_CREATE = f"""mutation($input: CustomFieldCreateInput!) {{
  customFieldCreate(input: $input) {{ field {{ {QUESTION} }} {ERRORS} }} }}"""
FIELD_UPDATE = f"""mutation($input: CustomFieldUpdateInput!) {{
  customFieldUpdate(input: $input) {{ field {{ {QUESTION} }} {ERRORS} }} }}"""
FIELD_ARCHIVE = f"""mutation($id: ID!) {{
  customFieldArchive(input: {{id: $id}}) {{ field {{ id archivedAt }} {ERRORS} }} }}"""
ANSWERS = "customFields { field { key label type } value }"
SAVE = f"""mutation($input: ContactCustomFieldsSaveInput!) {{
  contactCustomFieldsSave(input: $input) {{ contact {{ id {ANSWERS} }} {ERRORS} }} }}"""
CONTACT = f"query($id: ID!) {{ contact(id: $id) {{ {ANSWERS} }} }}"

SIZES = [
    {"value": "s", "labelEn": "Small", "labelFr": "Petit"},
    {"value": "m", "labelEn": "Medium", "labelFr": "Moyen"},
    {"value": "l", "labelEn": "Large", "labelFr": "Grand"},
]


def gid(type_name: str, record) -> str:
    return ids.encode(type_name, record if isinstance(record, int) else record.id)


async def define_registration(api, world) -> dict:
    """Through the API as the admin: a form, a section, one question of each type."""
    admin = api.as_(world.admin)
    form = await admin.execute(
        FORM_CREATE,
        {
            "input": {
                "organizationId": world.org_gid,
                "nameEn": "Registration",
                "nameFr": "Inscription",
            }
        },
    )
    form_id = form.ok("customFormCreate")["form"]["id"]
    section = await admin.execute(
        SECTION_CREATE, {"input": {"formId": form_id, "nameEn": "Player", "nameFr": "Joueur"}}
    )
    section_id = section.ok("customSectionCreate")["section"]["id"]
    questions = {}
    for key, type_, required in (
        ("allergies", "TEXT", False),
        ("jersey_number", "NUMBER", True),
        ("medical_check", "DATE", False),
        ("photo_ok", "BOOLEAN", True),
        ("shirt_size", "SINGLE_CHOICE", True),
        ("positions", "MULTIPLE_CHOICE", False),
    ):
        choices = SIZES if type_ in ("SINGLE_CHOICE", "MULTIPLE_CHOICE") else None
        created = await admin.execute(
            FIELD_CREATE,
            {
                "input": {
                    "sectionId": section_id,
                    "key": key,
                    "labelEn": key.title(),
                    "labelFr": f"FR {key}",
                    "type": type_,
                    "choices": choices,
                    "required": required,
                }
            },
        )
        questions[key] = created.ok("customFieldCreate")["field"]["id"]
    return {"form": form_id, "section": section_id, **questions}


def save_input(contact, scope: dict, answers: dict, by: str = "section") -> dict:
    return {
        "input": {
            "contactId": gid("Contact", contact),
            f"{by}Id": scope[by],
            "answers": [{"fieldId": scope[key], "value": value} for key, value in answers.items()],
        }
    }


GOOD = {
    "allergies": "  Peanuts\nand shellfish ",
    "jersey_number": 23,
    "medical_check": "2026-09-01",
    "photo_ok": False,
    "shirt_size": "m",
    "positions": ["l", "s", "l"],
}


async def test_a_manager_defines_bilingual_forms_read_in_the_readers_language(api, world):
    scope = await define_registration(api, world)
    english = await api.as_(world.viewer).execute(FORMS, {"o": world.org_gid})
    [form] = english.payload("customForms")
    assert (form["name"], form["nameFr"]) == ("Registration", "Inscription")
    [section] = form["sections"]
    assert section["name"] == "Player"
    assert [f["key"] for f in section["fields"]] == [
        "allergies",
        "jersey_number",
        "medical_check",
        "photo_ok",
        "shirt_size",
        "positions",
    ]
    size = section["fields"][4]
    assert (size["type"], size["required"], size["label"]) == ("SINGLE_CHOICE", True, "Shirt_Size")
    assert size["choices"][1] == {"value": "m", "label": "Medium"}
    french = (
        await api.as_(world.viewer)
        .with_headers(**{"Accept-Language": "fr"})
        .execute(FORMS, {"o": world.org_gid})
    )
    [form] = french.payload("customForms")
    assert form["name"] == "Inscription"
    assert form["sections"][0]["name"] == "Joueur"
    assert form["sections"][0]["fields"][4]["label"] == "FR shirt_size"
    assert form["sections"][0]["fields"][4]["choices"][1]["label"] == "Moyen"
    # The other organization sees none of it.
    other = await api.as_(world.outsider).execute(FORMS, {"o": world.other_org_gid})
    assert other.payload("customForms") == []
    actions = [
        e.action for e in await AuditEvent.filter(action__startswith="custom_").order_by("id")
    ]
    assert actions == ["custom_form.create", "custom_section.create"] + ["custom_field.create"] * 6
    assert scope["form"] and scope["section"]


async def test_question_definitions_are_checked(api, world):
    section = gid("CustomSection", await a_fresh_section(world))
    await a_fresh_field(world, key="shirt_size")
    await CustomField.create(
        organization=world.other_organization,
        section=await CustomSection.create(form=await _other_form(world), name_en="S", name_fr="S"),
        key="elsewhere",
        label_en="E",
        label_fr="E",
        type=CustomFieldType.TEXT,
    )
    admin = api.as_(world.admin)

    async def refusal(**fields):
        given = {
            "sectionId": section,
            "key": "q",
            "labelEn": "Q",
            "labelFr": "Q",
            "type": "TEXT",
            **fields,
        }
        result = await admin.execute(FIELD_CREATE, {"input": given})
        return [(e["code"], e["field"]) for e in result.payload("customFieldCreate")["errors"]]

    assert await refusal(key="Shirt Size") == [("INVALID", ["input", "key"])]
    assert await refusal(key="shirt_size") == [("ALREADY_EXISTS", ["input", "key"])]
    assert await refusal(key="elsewhere") == []  # keys are unique per organization only
    assert await refusal(labelFr=" ") == [("REQUIRED", ["input", "labelFr"])]
    assert await refusal(key="q2", type="SINGLE_CHOICE") == [("REQUIRED", ["input", "choices"])]
    assert await refusal(key="q3", choices=SIZES[:1]) == [("INVALID", ["input", "choices"])]
    twice = [SIZES[0], {**SIZES[1], "value": "s"}]
    assert await refusal(key="q4", type="MULTIPLE_CHOICE", choices=twice) == [
        ("ALREADY_EXISTS", ["input", "choices", 1, "value"])
    ]
    foreign = ids.encode("CustomSection", (await CustomSection.filter(name_en="S").first()).id)
    assert await refusal(key="q5", sectionId=foreign) == [("NOT_FOUND", ["input", "sectionId"])]
    assert await CustomField.filter(organization=world.organization).count() == 2


async def _other_form(world):
    return await CustomForm.create(organization=world.other_organization, name_en="O", name_fr="O")


async def test_an_agent_saves_answers_of_every_type_and_reads_them_back(api, world):
    scope = await define_registration(api, world)
    contact = await new_contact(world.organization)
    agent = api.as_(world.agent)
    saved = await agent.execute(SAVE, save_input(contact, scope, GOOD))
    answers = saved.ok("contactCustomFieldsSave")["contact"]["customFields"]
    assert [(a["field"]["key"], a["value"]) for a in answers] == [
        ("allergies", "Peanuts\nand shellfish"),
        ("jersey_number", 23),
        ("medical_check", "2026-09-01"),
        ("photo_ok", False),
        ("shirt_size", "m"),
        ("positions", ["l", "s"]),
    ]
    assert answers[1]["field"] == {
        "key": "jersey_number",
        "label": "Jersey_Number",
        "type": "NUMBER",
    }
    read = await api.as_(world.viewer).execute(CONTACT, {"id": gid("Contact", contact)})
    assert read.payload("contact")["customFields"] == answers
    [event] = await AuditEvent.filter(action="contact.custom_fields_save")
    assert event.target_id == str(contact.id)
    assert event.before == {key: None for key in GOOD}
    assert event.after["jersey_number"] == 23 and event.after["positions"] == ["l", "s"]
    # A second save changes only what differs; null removes an answer; the audit says so.
    again = {"jersey_number": 7, "allergies": None, "shirt_size": "m"}
    await agent.execute(SAVE, save_input(contact, scope, again))
    latest = await AuditEvent.filter(action="contact.custom_fields_save").order_by("-id").first()
    assert latest.before == {"jersey_number": 23, "allergies": "Peanuts\nand shellfish"}
    assert latest.after == {"jersey_number": 7, "allergies": None}
    assert await CustomFieldAnswer.filter(contact_id=contact.id).count() == 5


async def test_each_bad_value_is_an_error_on_its_answer_and_nothing_is_written(api, world):
    scope = await define_registration(api, world)
    contact = await new_contact(world.organization)
    bad = {
        "allergies": "x" * 2001,
        "jersey_number": "23",
        "medical_check": "2026-02-30",
        "photo_ok": "yes",
        "shirt_size": "xl",
        "positions": ["s", "xxl"],
    }
    result = await api.as_(world.agent).execute(SAVE, save_input(contact, scope, bad))
    errors = result.payload("contactCustomFieldsSave")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID", ["input", "answers", i, "value"]) for i in range(6)
    ]
    assert errors[0]["message"] == "Use at most 2000 characters."
    assert errors[1]["message"] == "Enter a number."
    # A good answer next to a bad one is not saved either.
    mixed = {"allergies": "None", "jersey_number": True, "photo_ok": True, "shirt_size": "s"}
    result = await api.as_(world.agent).execute(SAVE, save_input(contact, scope, mixed))
    assert [e["field"] for e in result.payload("contactCustomFieldsSave")["errors"]] == [
        ["input", "answers", 1, "value"]
    ]
    assert not await CustomFieldAnswer.exists()
    assert not await AuditEvent.filter(action="contact.custom_fields_save").exists()


async def test_each_missing_required_answer_is_named_and_nothing_is_written(api, world):
    scope = await define_registration(api, world)
    contact = await new_contact(world.organization)
    result = (
        await api.as_(world.agent)
        .with_headers(**{"Accept-Language": "fr"})
        .execute(SAVE, save_input(contact, scope, {"allergies": "None", "photo_ok": None}))
    )
    errors = result.payload("contactCustomFieldsSave")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [("REQUIRED", ["input", "answers"])] * 3
    assert [
        "jersey_number" in errors[0]["message"],
        "photo_ok" in errors[1]["message"],
        "shirt_size" in errors[2]["message"],
    ] == [True, True, True]
    assert (
        errors[2]["message"] == "Répondez à la question obligatoire « FR shirt_size » (shirt_size)."
    )
    assert not await CustomFieldAnswer.exists()
    # Answers saved before count: the questions left out keep theirs.
    required = {"jersey_number": 4, "photo_ok": True, "shirt_size": "l"}
    await api.as_(world.agent).execute(SAVE, save_input(contact, scope, required))
    later = await api.as_(world.agent).execute(
        SAVE, save_input(contact, scope, {"allergies": "Dust"})
    )
    assert len(later.ok("contactCustomFieldsSave")["contact"]["customFields"]) == 4
    # Removing a required answer is refused.
    cleared = await api.as_(world.agent).execute(
        SAVE, save_input(contact, scope, {"shirt_size": ""})
    )
    [error] = cleared.payload("contactCustomFieldsSave")["errors"]
    assert (error["code"], "shirt_size" in error["message"]) == ("REQUIRED", True)


async def test_only_the_section_or_form_saved_is_enforced(api, world):
    scope = await define_registration(api, world)
    admin = api.as_(world.admin)
    other = await admin.execute(
        SECTION_CREATE, {"input": {"formId": scope["form"], "nameEn": "Parent", "nameFr": "Parent"}}
    )
    parent_section = other.ok("customSectionCreate")["section"]["id"]
    guardian = await admin.execute(
        FIELD_CREATE,
        {
            "input": {
                "sectionId": parent_section,
                "key": "guardian",
                "labelEn": "Guardian",
                "labelFr": "Tuteur",
                "type": "TEXT",
                "required": True,
            }
        },
    )
    scope["guardian"] = guardian.ok("customFieldCreate")["field"]["id"]
    contact = await new_contact(world.organization)
    agent = api.as_(world.agent)
    # The Player section alone: the Parent section's required question is not asked.
    player = {"jersey_number": 4, "photo_ok": True, "shirt_size": "l"}
    assert (await agent.execute(SAVE, save_input(contact, scope, player))).ok(
        "contactCustomFieldsSave"
    )
    # The whole form: now it is.
    result = await agent.execute(SAVE, save_input(contact, scope, {"allergies": "-"}, by="form"))
    [error] = result.payload("contactCustomFieldsSave")["errors"]
    assert (error["code"], error["field"]) == ("REQUIRED", ["input", "answers"])
    assert "guardian" in error["message"]
    # A question of another section is not part of a section save.
    wrong = save_input(contact, scope, {"guardian": "Ann"})
    result = await agent.execute(SAVE, wrong)
    assert [
        (e["code"], e["field"]) for e in result.payload("contactCustomFieldsSave")["errors"]
    ] == [("NOT_FOUND", ["input", "answers", 0, "fieldId"])]


async def test_unrelated_updates_are_never_blocked_by_unanswered_questions(api, world):
    await define_registration(api, world)  # three required questions, never answered
    contact = await new_contact(world.organization)
    agent = api.as_(world.agent)
    updated = await agent.execute(
        """mutation($id: ID!) { contactUpdate(input: {id: $id, notes: "Called"}) {
          contact { notes } errors { code } } }""",
        {"id": gid("Contact", contact)},
    )
    assert updated.ok("contactUpdate")["contact"]["notes"] == "Called"
    colour = await Colour.create(organization=world.organization, name="Red", hex="#ff0000")
    coloured = await agent.execute(
        """mutation($c: ID!, $k: ID!) { contactColourSet(input: {contactId: $c, colourId: $k}) {
          errors { code } } }""",
        {"c": gid("Contact", contact), "k": gid("Colour", colour)},
    )
    assert coloured.ok("contactColourSet")
    group = await Group.create(organization=world.organization, name="Juniors")
    grouped = await agent.execute(
        """mutation($g: ID!, $c: [ID!]!) { groupAddContacts(input: {groupId: $g, contactIds: $c})
          { addedCount errors { code } } }""",
        {"g": gid("Group", group), "c": [gid("Contact", contact)]},
    )
    assert grouped.ok("groupAddContacts")["addedCount"] == 1
    created = await agent.execute(
        """mutation($o: ID!) { contactCreate(input: {organizationId: $o, firstName: "Zoé"}) {
          contact { id customFields { value } } errors { code } } }""",
        {"o": world.org_gid},
    )
    assert created.ok("contactCreate")["contact"]["customFields"] == []


async def test_the_type_is_fixed_once_answered_and_chosen_choices_stay(api, world):
    scope = await define_registration(api, world)
    admin = api.as_(world.admin)
    unanswered = await admin.execute(
        FIELD_UPDATE, {"input": {"id": scope["allergies"], "type": "NUMBER", "labelFr": "Allergie"}}
    )
    assert unanswered.ok("customFieldUpdate")["field"]["type"] == "NUMBER"
    contact = await new_contact(world.organization)
    answers = {"jersey_number": 4, "photo_ok": True, "shirt_size": "m"}
    await api.as_(world.agent).execute(SAVE, save_input(contact, scope, answers))
    refused = await admin.execute(
        FIELD_UPDATE, {"input": {"id": scope["jersey_number"], "type": "TEXT"}}
    )
    assert [(e["code"], e["field"]) for e in refused.payload("customFieldUpdate")["errors"]] == [
        ("INVALID", ["input", "type"])
    ]
    dropped = await admin.execute(
        FIELD_UPDATE, {"input": {"id": scope["shirt_size"], "choices": [SIZES[0], SIZES[2]]}}
    )
    [error] = dropped.payload("customFieldUpdate")["errors"]
    assert (error["field"], "“m”" in error["message"]) == (["input", "choices"], True)
    kept = await admin.execute(
        FIELD_UPDATE,
        {"input": {"id": scope["shirt_size"], "choices": SIZES[1:], "required": False}},
    )
    assert [c["value"] for c in kept.ok("customFieldUpdate")["field"]["choices"]] == ["m", "l"]
    assert await CustomField.get(key="jersey_number").values("type") == {"type": "NUMBER"}
    [event] = await AuditEvent.filter(
        action="custom_field.update", target_id=ids.decode(scope["shirt_size"])[1]
    )
    assert event.before["required"] is True and event.after["required"] is False


async def test_archived_questions_are_neither_shown_nor_required(api, world):
    scope = await define_registration(api, world)
    contact = await new_contact(world.organization)
    agent = api.as_(world.agent)
    await agent.execute(SAVE, save_input(contact, scope, {**GOOD}))
    archived = await api.as_(world.admin).execute(FIELD_ARCHIVE, {"id": scope["shirt_size"]})
    assert archived.ok("customFieldArchive")["field"]["archivedAt"]
    read = await agent.execute(CONTACT, {"id": gid("Contact", contact)})
    keys = [a["field"]["key"] for a in read.payload("contact")["customFields"]]
    assert "shirt_size" not in keys and len(keys) == 5
    assert await CustomFieldAnswer.filter(field_id=ids.decode(scope["shirt_size"])[1]).exists()
    other = await new_contact(world.organization)
    saved = await agent.execute(
        SAVE, save_input(other, scope, {"jersey_number": 1, "photo_ok": False})
    )
    assert saved.ok("contactCustomFieldsSave")
    answered = await agent.execute(SAVE, save_input(other, scope, {"shirt_size": "s"}))
    assert answered.payload_codes("contactCustomFieldsSave") == ["NOT_FOUND"]
    forms = await agent.execute(FORMS, {"o": world.org_gid, "archived": True})
    assert len(forms.payload("customForms")[0]["sections"][0]["fields"]) == 6


async def test_answered_sections_and_forms_cannot_be_deleted(api, world):
    scope = await define_registration(api, world)
    admin = api.as_(world.admin)
    contact = await new_contact(world.organization)
    answers = {"jersey_number": 4, "photo_ok": True, "shirt_size": "m"}
    await api.as_(world.agent).execute(SAVE, save_input(contact, scope, answers))
    for mutation, field, record in (
        (SECTION_DELETE, "customSectionDelete", scope["section"]),
        (FORM_DELETE, "customFormDelete", scope["form"]),
    ):
        result = await admin.execute(mutation, {"id": record})
        assert [(e["code"], e["field"]) for e in result.payload(field)["errors"]] == [
            ("INVALID", ["input", "id"])
        ]
    assert await CustomField.filter(organization=world.organization).count() == 6
    await CustomFieldAnswer.all().delete()
    deleted = await admin.execute(FORM_DELETE, {"id": scope["form"]})
    assert deleted.ok("customFormDelete")["deletedFormId"] == scope["form"]
    assert not await CustomField.exists() and not await CustomSection.exists()


async def test_another_organizations_records_are_not_found(api, world):
    scope = await define_registration(api, world)
    theirs = await new_contact(world.other_organization)
    foreign_field = await CustomField.create(
        organization=world.other_organization,
        section=await CustomSection.create(form=await _other_form(world), name_en="S", name_fr="S"),
        key="theirs",
        label_en="T",
        label_fr="T",
        type=CustomFieldType.TEXT,
    )
    agent = api.as_(world.agent)
    mine = await new_contact(world.organization)
    answers = {"jersey_number": 4, "photo_ok": True, "shirt_size": "m"}
    variables = save_input(mine, scope, answers)
    variables["input"]["answers"].append(
        {"fieldId": gid("CustomField", foreign_field), "value": "x"}
    )
    result = await agent.execute(SAVE, variables)
    assert [
        (e["code"], e["field"]) for e in result.payload("contactCustomFieldsSave")["errors"]
    ] == [("NOT_FOUND", ["input", "answers", 3, "fieldId"])]
    their_contact = await agent.execute(SAVE, save_input(theirs, scope, answers))
    assert their_contact.payload_codes("contactCustomFieldsSave") == ["NOT_FOUND"]
    their_section = save_input(mine, scope, {})
    their_section["input"]["sectionId"] = gid("CustomSection", foreign_field.section_id)
    result = await agent.execute(SAVE, their_section)
    assert [
        (e["code"], e["field"]) for e in result.payload("contactCustomFieldsSave")["errors"]
    ] == [("NOT_FOUND", ["input", "sectionId"])]
    assert not await CustomFieldAnswer.exists()


async def test_listing_answers_costs_the_same_statements_for_10_or_50_contacts(api, world):
    scope = await define_registration(api, world)
    agent = api.as_(world.agent)
    for _ in range(50):
        contact = await new_contact(world.organization)
        await agent.execute(SAVE, save_input(contact, scope, GOOD))
    page = f"""query($o: ID!, $first: Int!) {{ contacts(organizationId: $o, first: $first) {{
      edges {{ node {{ id {ANSWERS} }} }} }} }}"""
    counts = {}
    for size in (10, 50):
        with count_statements() as statements:
            result = await agent.execute(page, {"o": world.org_gid, "first": size})
        edges = result.payload("contacts")["edges"]
        assert len(edges) == size and all(len(e["node"]["customFields"]) == 6 for e in edges)
        counts[size] = len(statements)
    assert counts[10] == counts[50], counts
