"""Duplicates: the suggested pairs, and merging contacts into one without losing anything."""

from datetime import date

from models.audit import AuditEvent
from models.contacts import Affiliation, ConsentRecord, Contact, ContactKind, Group, GroupMember
from resolvers.common.time import now
from resolvers.contacts.duplicates import comparable_name, levenshtein, similar_names
from tests.contact_groups_authz_examples import new_contact
from tests.contacts.contact_flows import CONSENT_SET, create, gid, make_contact, pk
from tests.support.world import make_member

ERRORS = "errors { code field message }"
DUPLICATES = """query($o: ID!, $first: Int, $after: String) {
  contactDuplicates(organizationId: $o, first: $first, after: $after) {
    edges { cursor node { first { displayName } second { displayName } reasons } }
    pageInfo { hasNextPage hasPreviousPage endCursor } totalCount } }"""
MERGE = f"""mutation($input: ContactMergeInput!) {{ contactMerge(input: $input) {{
  contact {{ id displayName email phone birthDate notes doNotContact isUser lastActivityAt
    address {{ line1 city postalCode }}
    emailConsent {{ status }} smsConsent {{ status }}
    groups {{ name }} affiliations {{ roleTitle organizationContact {{ displayName }} }}
    consentHistory {{ channel status source }} }}
  {ERRORS} }} }}"""


def merge_input(survivor, *others) -> dict:
    return {"input": {"survivorId": survivor, "otherIds": list(others)}}


async def set_consent(api, world, contact_id, channel, status):
    variables = {
        "input": {"contactId": contact_id, "channel": channel, "status": status, "source": "call"}
    }
    (await api.as_(world.agent).execute(CONSENT_SET, variables)).ok("contactConsentSet")


def pairs(result) -> list[tuple[str, str, list[str]]]:
    edges = result.payload("contactDuplicates")["edges"]
    return [
        (
            e["node"]["first"]["displayName"],
            e["node"]["second"]["displayName"],
            e["node"]["reasons"],
        )
        for e in edges
    ]


def test_names_compare_without_accents_case_or_hyphens():
    assert comparable_name("Jean-Éric", "O'Brien") == "jeaneric obrien"
    assert levenshtein("tremblay", "tremblai", 2) == 1
    assert levenshtein("abcdef", "a", 2) == 3  # cut short: more than the limit
    assert similar_names("jeaneric dupont", "jean eric dupond")
    assert not similar_names("al li", "bo li")  # short names allow fewer edits
    assert not similar_names("", "")


async def test_pairs_share_an_email_a_phone_or_a_birth_date_and_a_name(api, world):
    same = {"email": "marie@example.test", "birthDate": "1990-05-04"}
    await create(api, world, firstName="Marie", lastName="Tremblay", **same)
    await create(api, world, firstName="Marie", lastName="Tremblai", **same)
    await create(api, world, firstName="Luc", lastName="Roy", phone="514 555 0123")
    await create(api, world, firstName="Lucas", lastName="Roy", phone="+1 (514) 555-0123")
    await create(api, world, firstName="Jean-Éric", lastName="Dupont", birthDate="1990-05-04")
    await create(api, world, firstName="jean eric", lastName="DUPOND", birthDate="1990-05-04")
    # Not suggested: another name that day, an archived contact, an organization contact,
    # and a contact of the other organization, all with the same email.
    await create(api, world, firstName="Anne", lastName="Roy", birthDate="1990-05-04")
    await make_contact(
        world.organization, first_name="Marie", email=same["email"], archived_at=now()
    )
    await make_contact(
        world.organization,
        kind=ContactKind.ORGANIZATION,
        organization_name="Club Marie",
        email=same["email"],
    )
    await make_contact(world.other_organization, first_name="Marie", email=same["email"])
    result = await api.as_(world.viewer).execute(DUPLICATES, {"o": world.org_gid})
    assert pairs(result) == [
        ("Marie Tremblay", "Marie Tremblai", ["EMAIL", "NAME_AND_BIRTH_DATE"]),
        ("Luc Roy", "Lucas Roy", ["PHONE"]),
        ("Jean-Éric Dupont", "jean eric DUPOND", ["NAME_AND_BIRTH_DATE"]),
    ]
    assert result.payload("contactDuplicates")["totalCount"] == 3


async def test_pairs_are_paged_by_cursor(api, world):
    for n in range(3):
        email = f"twin{n}@example.test"
        await create(api, world, firstName=f"Twin{n}", lastName="A", email=email)
        await create(api, world, firstName=f"Twin{n}", lastName="B", email=email)
    viewer = api.as_(world.viewer)
    seen, after = [], None
    while True:
        result = await viewer.execute(DUPLICATES, {"o": world.org_gid, "first": 2, "after": after})
        seen += [first for first, _, _ in pairs(result)]
        page_info = result.payload("contactDuplicates")["pageInfo"]
        assert page_info["hasPreviousPage"] is (after is not None)
        if not page_info["hasNextPage"]:
            break
        after = page_info["endCursor"]
    assert seen == ["Twin0 A", "Twin1 A", "Twin2 A"]
    bad = await viewer.execute(DUPLICATES, {"o": world.org_gid, "after": "bm9wZQ=="})
    assert bad.error_codes == ["BAD_USER_INPUT"]
    too_many = await viewer.execute(DUPLICATES, {"o": world.org_gid, "first": 101})
    assert too_many.error_codes == ["BAD_USER_INPUT"]


async def test_a_merge_keeps_everything_on_the_survivor(api, world):
    survivor = await create(
        api,
        world,
        firstName="Marie",
        lastName="Tremblay",
        email="marie@example.test",
        notes="Aime le tennis.",
    )
    other = await create(
        api,
        world,
        firstName="Marie",
        lastName="Tremblai",
        email="marie.t@example.test",
        phone="514 555 0123",
        addressLine1="12 rue Ontario",
        city="Montréal",
        postalCode="H2X 1Y6",
        notes="Allergie aux arachides.",
        doNotContact=True,
    )
    member = await make_member("marie.linked@example.test", "", None, None)
    third = await make_contact(
        world.organization,
        first_name="M.",
        last_name="Tremblay",
        user_id=member.user.id,
        birth_date=date(1990, 5, 4),
        last_activity_at=now(),
    )
    await set_consent(api, world, survivor["id"], "EMAIL", "EXPRESS")
    await set_consent(api, world, other["id"], "SMS", "WITHDRAWN")
    juniors = await Group.create(organization=world.organization, name="Juniors")
    seniors = await Group.create(organization=world.organization, name="Seniors")
    for group, contact_id in (
        (juniors, survivor["id"]),
        (juniors, other["id"]),
        (seniors, other["id"]),
        (seniors, gid(third)),
    ):
        await GroupMember.create(group=group, contact_id=pk(contact_id))
    school = await new_contact(
        world.organization, "École Jeanne-Mance", kind=ContactKind.ORGANIZATION
    )
    club = await new_contact(world.organization, "Club Gamma", kind=ContactKind.ORGANIZATION)
    await Affiliation.create(
        person_id=pk(survivor["id"]), organization_contact=school, role_title="Parent"
    )
    await Affiliation.create(
        person_id=pk(other["id"]), organization_contact=school, role_title="Coach"
    )
    await Affiliation.create(person_id=third.id, organization_contact=club, role_title="Trésorière")

    result = await api.as_(world.agent).execute(
        MERGE, merge_input(survivor["id"], other["id"], gid(third))
    )
    merged = result.ok("contactMerge")["contact"]
    assert merged["id"] == survivor["id"]
    assert (merged["email"], merged["phone"]) == ("marie@example.test", "+15145550123")
    assert merged["birthDate"] == "1990-05-04"
    assert merged["address"] == {
        "line1": "12 rue Ontario",
        "city": "Montréal",
        "postalCode": "H2X 1Y6",
    }
    assert merged["notes"] == (
        f"Aime le tennis.\n\n--- Marie Tremblai (#{pk(other['id'])}) ---\nAllergie aux arachides."
    )
    assert merged["doNotContact"] and merged["isUser"] and merged["lastActivityAt"]
    assert (merged["emailConsent"]["status"], merged["smsConsent"]["status"]) == (
        "EXPRESS",
        "WITHDRAWN",
    )
    assert [g["name"] for g in merged["groups"]] == ["Juniors", "Seniors"]
    assert sorted(
        (a["organizationContact"]["displayName"], a["roleTitle"]) for a in merged["affiliations"]
    ) == [("Club Gamma", "Trésorière"), ("École Jeanne-Mance", "Parent")]
    assert {(r["channel"], r["status"], r["source"]) for r in merged["consentHistory"]} == {
        ("EMAIL", "EXPRESS", "call"),
        ("SMS", "WITHDRAWN", "call"),
        ("SMS", "WITHDRAWN", "contact merge"),
    }
    assert await Contact.filter(organization=world.organization, kind="PERSON").count() == 1
    kept = await Contact.get(id=pk(survivor["id"]))
    assert "5145550123" in kept.search_text and kept.user_id == member.user.id
    event = await AuditEvent.get(action="contact.merge")
    assert event.target_id == str(kept.id)
    assert [m["email"] for m in event.before["merged"]] == ["marie.t@example.test", None]
    assert event.before["merged"][0]["group_ids"] == [juniors.id, seniors.id]
    assert event.before["merged"][0]["affiliations"][0]["role_title"] == "Coach"
    assert event.after["merged_ids"] == [pk(other["id"]), third.id]


async def test_the_most_recent_consent_wins_when_nobody_withdrew(api, world):
    survivor = await create(api, world, firstName="Ana", email="ana@example.test")
    implied = await create(api, world, firstName="Ana", email="ana2@example.test")
    express = await create(api, world, firstName="Ana", email="ana3@example.test")
    await set_consent(api, world, express["id"], "EMAIL", "EXPRESS")
    variables = {
        "input": {
            "contactId": implied["id"],
            "channel": "EMAIL",
            "status": "IMPLIED",
            "source": "purchase",
            "impliedBasis": "PURCHASE",
        }
    }
    (await api.as_(world.agent).execute(CONSENT_SET, variables)).ok("contactConsentSet")
    result = await api.as_(world.agent).execute(
        MERGE, merge_input(survivor["id"], express["id"], implied["id"])
    )
    merged = result.ok("contactMerge")["contact"]
    assert merged["emailConsent"]["status"] == "IMPLIED"
    assert await ConsentRecord.filter(contact_id=pk(survivor["id"])).count() == 3


async def test_bad_merges_are_refused_and_write_nothing(api, world):
    anna = await new_contact(world.organization, "Anna Bell")
    bella = await new_contact(world.organization, "Bella Bell")
    school = await new_contact(world.organization, "École", kind=ContactKind.ORGANIZATION)
    theirs = await new_contact(world.other_organization, "Anna Bell")
    agent = api.as_(world.agent)

    async def errors(*other_ids, survivor=anna):
        result = await agent.execute(MERGE, merge_input(gid(survivor), *other_ids))
        return [(e["code"], e["field"]) for e in result.payload("contactMerge")["errors"]]

    missing = gid(Contact(id=10**9))
    assert await errors(gid(anna), gid(theirs), missing, gid(school), world.org_gid) == [
        ("INVALID", ["input", "otherIds", "0"]),
        ("NOT_FOUND", ["input", "otherIds", "1"]),
        ("NOT_FOUND", ["input", "otherIds", "2"]),
        ("INVALID", ["input", "otherIds", "3"]),
        ("NOT_FOUND", ["input", "otherIds", "4"]),
    ]
    assert await errors(*[gid(bella)] * 21) == [("INVALID", ["input", "otherIds"])]
    assert await errors() == [("REQUIRED", ["input", "otherIds"])]
    assert await errors(gid(anna), survivor=theirs) == [("NOT_FOUND", ["input", "survivorId"])]
    first = await make_member("first@example.test", "", None, None)
    second = await make_member("second@example.test", "", None, None)
    await Contact.filter(id=anna.id).update(user_id=first.user.id)
    await Contact.filter(id=bella.id).update(user_id=second.user.id)
    assert await errors(gid(bella)) == [("INVALID", ["input", "otherIds", "0"])]
    assert await Contact.filter(organization=world.organization).count() == 3
    assert not await AuditEvent.exists(action="contact.merge")


async def test_merge_messages_are_in_french(api, world):
    anna = await new_contact(world.organization, "Anna Bell")
    result = (
        await api.as_(world.agent)
        .with_headers(**{"Accept-Language": "fr"})
        .execute(MERGE, merge_input(gid(anna), gid(anna)))
    )
    [error] = result.payload("contactMerge")["errors"]
    assert error["message"] == "Un contact ne peut pas être fusionné avec lui-même."


async def test_organization_contacts_merge_their_affiliated_people(api, world):
    school = await new_contact(
        world.organization, "École Jeanne-Mance", kind=ContactKind.ORGANIZATION
    )
    copy = await new_contact(
        world.organization, "Ecole Jeanne Mance", kind=ContactKind.ORGANIZATION
    )
    anna, bella = await new_contact(world.organization), await new_contact(world.organization)
    await Affiliation.create(person=anna, organization_contact=school, role_title="Principal")
    await Affiliation.create(person=anna, organization_contact=copy, role_title="Directrice")
    await Affiliation.create(person=bella, organization_contact=copy, role_title="Coach")
    result = await api.as_(world.agent).execute(MERGE, merge_input(gid(school), gid(copy)))
    assert result.ok("contactMerge")["contact"]["id"] == gid(school)
    rows = await Affiliation.filter(organization_contact=school).order_by("person_id")
    assert [(r.person_id, r.role_title) for r in rows] == [
        (anna.id, "Principal"),
        (bella.id, "Coach"),
    ]
    assert not await Contact.exists(id=copy.id)
