"""A page of contacts with everything around them costs the same number of SQL statements
whether it holds 10 contacts or 100 (DataLoaders, one query per related list)."""

from carnet.statements import count_statements
from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact, ContactKind
from models.groups import Group, GroupMember
from resolvers.contacts.records import refresh_derived

PAGE = """query($o: ID!, $first: Int!) {
  contacts(organizationId: $o, first: $first) {
    totalCount
    edges { node {
      id displayName isUser isSubscriber
      emailConsent { status expiresAt } marketingAllowed { email sms }
      colour { name hex }
      groups { id name memberCount }
      affiliations { roleTitle organizationContact { displayName } }
      affiliatedPeople { roleTitle person { displayName } }
      consentHistory { status source recordedBy { email } }
    } }
  } }"""


async def address_book(world, people: int = 100) -> None:
    org = world.organization
    colours = [
        await Colour.create(organization=org, name=name, hex=hex_)
        for name, hex_ in (("Red", "#ff0000"), ("Blue", "#0000ff"))
    ]
    groups = [await Group.create(organization=org, name=f"Group {i}") for i in range(3)]
    clubs = []
    for i in range(3):
        club = Contact(organization_id=org.id, kind=ContactKind.ORGANIZATION)
        club.organization_name = f"Org {i}"
        refresh_derived(club)
        clubs.append(club)
    persons = []
    for i in range(people):
        person = Contact(
            organization_id=org.id,
            first_name="Person",
            last_name=f"P{i:03}",
            email=f"p{i}@example.test",
            colour_id=colours[i % 2].id,
            email_consent=ConsentStatus.EXPRESS,
        )
        refresh_derived(person)
        persons.append(person)
    await Contact.bulk_create(clubs + persons)
    clubs = await Contact.filter(organization_id=org.id, kind=ContactKind.ORGANIZATION)
    persons = await Contact.filter(organization_id=org.id, kind=ContactKind.PERSON)
    await GroupMember.bulk_create(
        [GroupMember(group_id=groups[j].id, contact_id=p.id) for p in persons for j in (0, 1)]
        + [GroupMember(group_id=groups[2].id, contact_id=c.id) for c in clubs]
    )
    await Affiliation.bulk_create(
        [
            Affiliation(person_id=p.id, organization_contact_id=clubs[i % 3].id, role_title="Coach")
            for i, p in enumerate(persons)
        ]
    )
    await ConsentRecord.bulk_create(
        [
            ConsentRecord(
                contact_id=p.id,
                channel=ConsentChannel.EMAIL,
                status=ConsentStatus.EXPRESS,
                source="web form",
                recorded_by_id=world.agent.user.id,
            )
            for p in persons
        ]
    )


async def test_ten_or_a_hundred_contacts_cost_the_same_statements(api, world):
    await address_book(world)
    viewer = api.as_(world.viewer)
    counts = {}
    for size in (10, 100):
        with count_statements() as statements:
            result = await viewer.execute(PAGE, {"o": world.org_gid, "first": size})
        assert not result.errors, result.errors
        edges = result.data["contacts"]["edges"]
        assert len(edges) == size
        counts[size] = len(statements)
    assert counts[10] == counts[100], counts
    first_person = next(e["node"] for e in edges if e["node"]["displayName"] == "Person P000")
    assert first_person["groups"] == [
        {"id": first_person["groups"][0]["id"], "name": "Group 0", "memberCount": 100},
        {"id": first_person["groups"][1]["id"], "name": "Group 1", "memberCount": 100},
    ]
    assert first_person["colour"] == {"name": "Red", "hex": "#ff0000"}
    assert first_person["affiliations"] == [
        {"roleTitle": "Coach", "organizationContact": {"displayName": "Org 0"}}
    ]
    assert first_person["consentHistory"] == [
        {"status": "EXPRESS", "source": "web form", "recordedBy": {"email": "agent@alpha.test"}}
    ]
    club = next(e["node"] for e in edges if e["node"]["displayName"] == "Org 0")
    assert len(club["affiliatedPeople"]) == 34
    # session, actor, page, count, and one query per related list.
    assert counts[100] <= 12, counts
