"""`carnet seed-contacts` writes rows the app reads as its own: the same derived columns,
consent with its history, group memberships the filters find, and a contacts page that
costs the same SQL statements as one of app-created contacts."""

from copy import copy

from carnet.cli.seed_contacts import seed_contacts
from carnet.statements import count_statements
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact, ContactKind
from models.custom_fields import (
    CustomField,
    CustomFieldAnswer,
    CustomFieldType,
    CustomForm,
    CustomSection,
)
from models.groups import Group, GroupMember
from resolvers.contacts.records import fold, refresh_derived
from schema import ids
from tests.contacts.contact_flows import LIST, gid
from tests.contacts.test_contacts_statements import PAGE, address_book

SEEDED = 2_000
COUNT = """query($o: ID!, $search: String, $filter: ContactFilterInput) {
  contacts(organizationId: $o, search: $search, filter: $filter, first: 1) { totalCount } }"""
HISTORY = """query($id: ID!) { contact(id: $id) {
  emailConsent { recordedStatus } consentHistory(channel: EMAIL) { status } } }"""


async def seed(organization, count: int = SEEDED, **options):
    return await seed_contacts(organization, count, seed=7, progress=lambda _: None, **options)


async def total(api, world, **variables) -> int:
    result = await api.as_(world.viewer).execute(COUNT, {"o": world.org_gid, **variables})
    assert not result.errors, result.errors
    return result.data["contacts"]["totalCount"]


async def every_id(api, world, **variables) -> set[str]:
    """All the pages of the list, by cursor."""
    found, after = set(), None
    while True:
        result = await api.as_(world.viewer).execute(
            LIST, {"o": world.org_gid, "first": 100, "after": after, **variables}
        )
        assert not result.errors, result.errors
        contacts = result.data["contacts"]
        found |= {edge["node"]["id"] for edge in contacts["edges"]}
        if not contacts["pageInfo"]["hasNextPage"]:
            return found
        after = contacts["pageInfo"]["endCursor"]


async def test_seeded_contacts_are_listed_searched_and_filtered(api, world):
    before = await total(api, world) + await total(api, world, filter={"archived": True})
    # Batches of 800: three batches, drawn by a worker process, ids reserved per batch.
    report = await seed(world.organization, batch_size=800)
    assert report.contacts == SEEDED
    assert report.memberships > SEEDED and report.consent_records > SEEDED / 2
    assert report.affiliations > 0 and report.duplicates > 0
    listed = await total(api, world)
    archived = await total(api, world, filter={"archived": True})
    assert listed + archived == before + SEEDED
    assert 0 < archived < SEEDED / 10
    seeded = Contact.filter(organization_id=world.organization.id)
    assert await seeded.filter(kind=ContactKind.ORGANIZATION).count() > SEEDED / 20

    # An accented name is found by its plain spelling.
    accented = await seeded.filter(last_name="Bélanger", archived_at__isnull=True).first()
    assert accented is not None
    found = await every_id(api, world, search=f"{fold(accented.first_name)} belanger")
    assert gid(accented) in found

    # A group filter returns exactly the group's members that are not archived.
    group = await Group.filter(organization_id=world.organization.id, name="Arbitres").get()
    members = await GroupMember.filter(
        group_id=group.id, contact__archived_at__isnull=True
    ).values_list("contact_id", flat=True)
    assert members
    group_filter = {"groups": {"ids": [ids.encode("Group", group.id)]}}
    assert await every_id(api, world, filter=group_filter) == {gid(pk) for pk in members}


async def test_seeded_rows_match_what_the_app_computes(api, world):
    await seed(world.organization, count=500)
    sample = await Contact.filter(organization_id=world.organization.id).order_by("id")
    for contact in sample:
        expected = copy(contact)
        refresh_derived(expected)
        assert (contact.sort_name, contact.search_text) == (
            expected.sort_name,
            expected.search_text,
        ), contact.id
        assert contact.phone is None or contact.phone.startswith("+1")
    consented = [c for c in sample if c.email_consent is not ConsentStatus.NOT_ASKED]
    assert consented
    for contact in consented[:5]:
        result = await api.as_(world.viewer).execute(HISTORY, {"id": gid(contact)})
        node = result.data["contact"]
        assert node["consentHistory"][0]["status"] == node["emailConsent"]["recordedStatus"]
    asked = await ConsentRecord.filter(
        contact__organization_id=world.organization.id, channel=ConsentChannel.EMAIL
    ).values_list("contact_id", flat=True)
    assert {c.id for c in consented} <= set(asked)


async def test_seeding_answers_the_organizations_custom_fields(world):
    form = await CustomForm.create(organization=world.organization, name_en="F", name_fr="F")
    section = await CustomSection.create(form=form, name_en="S", name_fr="S")
    sizes = [{"value": v, "label_en": v, "label_fr": v} for v in ("s", "m", "l")]
    size = await CustomField.create(
        organization=world.organization,
        section=section,
        key="size",
        label_en="Size",
        label_fr="Taille",
        type=CustomFieldType.SINGLE_CHOICE,
        choices=sizes,
    )
    note = await CustomField.create(
        organization=world.organization,
        section=section,
        key="note",
        label_en="Note",
        label_fr="Note",
        type=CustomFieldType.TEXT,
    )
    report = await seed(world.organization, count=300)
    sizes_given = await CustomFieldAnswer.filter(field_id=size.id)
    notes = await CustomFieldAnswer.filter(field_id=note.id)
    assert len(sizes_given) + len(notes) == report.answers
    assert sizes_given and {answer.value for answer in sizes_given} <= {"s", "m", "l"}
    # Text answers keep the folded copy the `contains` filter compares, as the app's do.
    assert notes and all(answer.search_text == fold(answer.value) for answer in notes)


async def test_a_page_of_seeded_contacts_costs_the_statements_of_app_made_ones(api, world):
    await address_book(world)
    await seed(world.other_organization, count=500)
    counts = []
    for who, organization in ((world.viewer, world.org_gid), (world.outsider, world.other_org_gid)):
        with count_statements() as statements:
            result = await api.as_(who).execute(PAGE, {"o": organization, "first": 50})
        assert not result.errors, result.errors
        assert len(result.data["contacts"]["edges"]) == 50
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
