"""Duplicates: the suggested pairs, and merging contacts into one without losing anything."""

import random
from datetime import date

from carnet.statements import count_statements
from models.affiliations import Affiliation
from models.audit import AuditEvent
from models.contacts import ConsentRecord, Contact, ContactKind
from models.custom_fields import CustomFieldAnswer, CustomFieldType
from models.duplicates import DuplicateSuggestion
from models.groups import Group, GroupMember
from resolvers.common.time import now
from resolvers.duplicates import suggestions
from resolvers.duplicates.suggestions import comparable_name, levenshtein, similar_names
from tests.contacts.contact_flows import (
    ARCHIVE,
    CONSENT_SET,
    RESTORE,
    UPDATE,
    create,
    gid,
    make_contact,
    pk,
)
from tests.custom_fields_authz_examples import a_fresh_field
from tests.support.contacts import new_contact
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
        ("INVALID", ["input", "otherIds", 0]),
        ("NOT_FOUND", ["input", "otherIds", 1]),
        ("NOT_FOUND", ["input", "otherIds", 2]),
        ("INVALID", ["input", "otherIds", 3]),
        ("NOT_FOUND", ["input", "otherIds", 4]),
    ]
    assert await errors(*[gid(bella)] * 21) == [("INVALID", ["input", "otherIds"])]
    assert await errors() == [("REQUIRED", ["input", "otherIds"])]
    assert await errors(gid(anna), survivor=theirs) == [("NOT_FOUND", ["input", "survivorId"])]
    first = await make_member("first@example.test", "", None, None)
    second = await make_member("second@example.test", "", None, None)
    await Contact.filter(id=anna.id).update(user_id=first.user.id)
    await Contact.filter(id=bella.id).update(user_id=second.user.id)
    assert await errors(gid(bella)) == [("INVALID", ["input", "otherIds", 0])]
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


DISMISS = f"""mutation($input: ContactDuplicateDismissInput!) {{
  contactDuplicateDismiss(input: $input) {{
    duplicate {{ first {{ displayName }} second {{ displayName }} reasons dismissedAt }}
    {ERRORS} }} }}"""
DISMISSED = """query($o: ID!) { contactDuplicates(organizationId: $o, dismissed: true) {
  edges { node { first { displayName } second { displayName } dismissedAt } } totalCount } }"""


async def suggested(api, world) -> list[tuple[str, str, list[str]]]:
    return pairs(await api.as_(world.viewer).execute(DUPLICATES, {"o": world.org_gid}))


async def test_suggestions_follow_edits_archiving_restoring_and_merging(api, world):
    await create(api, world, firstName="Ana", lastName="Roy", email="ana@example.test")
    b = await create(api, world, firstName="Anna", lastName="Roy", email="ana@example.test")
    c = await create(api, world, firstName="Hugo", lastName="Roy", phone="514 555 0199")
    assert await suggested(api, world) == [("Ana Roy", "Anna Roy", ["EMAIL"])]
    agent = api.as_(world.agent)
    # Same phone as Hugo now, different email: the pair changes.
    changed = {"input": {"id": b["id"], "email": "anna@example.test", "phone": "5145550199"}}
    (await agent.execute(UPDATE, changed)).ok("contactUpdate")
    assert await suggested(api, world) == [("Anna Roy", "Hugo Roy", ["PHONE"])]
    (await agent.execute(ARCHIVE, {"id": c["id"]})).ok("contactArchive")
    assert await suggested(api, world) == []
    (await agent.execute(RESTORE, {"id": c["id"]})).ok("contactRestore")
    assert await suggested(api, world) == [("Anna Roy", "Hugo Roy", ["PHONE"])]
    (await agent.execute(MERGE, merge_input(c["id"], b["id"]))).ok("contactMerge")
    assert await suggested(api, world) == []
    assert await DuplicateSuggestion.all().count() == 0


async def test_a_dismissed_pair_stays_dismissed_while_it_still_matches(api, world):
    a = await create(api, world, firstName="Léa", lastName="Roy", email="lea@example.test")
    b = await create(api, world, firstName="Lea", lastName="Roy", email="lea@example.test")
    agent = api.as_(world.agent)
    result = await agent.execute(DISMISS, {"input": {"firstId": b["id"], "secondId": a["id"]}})
    assert result.ok("contactDuplicateDismiss")["duplicate"]["dismissedAt"]
    assert await suggested(api, world) == []
    # Still the same email, and now the same phone too: still dismissed, with both reasons.
    for contact in (a, b):
        phone = {"input": {"id": contact["id"], "phone": "514 555 0100"}}
        (await agent.execute(UPDATE, phone)).ok("contactUpdate")
    assert await suggested(api, world) == []
    listed = (await api.as_(world.viewer).execute(DISMISSED, {"o": world.org_gid})).payload(
        "contactDuplicates"
    )
    assert listed["totalCount"] == 1
    row = await DuplicateSuggestion.get(older_id=pk(a["id"]))
    assert row.reasons == ["EMAIL", "PHONE"] and row.dismissed_by_id == world.agent.user.id
    event = await AuditEvent.filter(action="contact.duplicate.dismiss").get()
    assert event.after["contact_ids"] == [pk(a["id"]), pk(b["id"])]
    # Brought back, then no longer matching at all: gone.
    undo = {"input": {"firstId": a["id"], "secondId": b["id"], "dismissed": False}}
    assert (await agent.execute(DISMISS, undo)).ok("contactDuplicateDismiss")["duplicate"][
        "dismissedAt"
    ] is None
    assert await suggested(api, world) == [("Léa Roy", "Lea Roy", ["EMAIL", "PHONE"])]
    apart = {"input": {"id": b["id"], "email": "other@example.test", "phone": None}}
    (await agent.execute(UPDATE, apart)).ok("contactUpdate")
    assert await suggested(api, world) == []
    again = await agent.execute(DISMISS, {"input": {"firstId": a["id"], "secondId": b["id"]}})
    assert again.payload_codes("contactDuplicateDismiss") == ["NOT_FOUND"]


async def test_dismissing_checks_the_pair_and_the_organization(api, world):
    a = await create(api, world, firstName="Zoé", lastName="Roy", email="zoe@example.test")
    b = await create(api, world, firstName="Zoe", lastName="Roy", email="zoe@example.test")
    foreign = await make_contact(
        world.other_organization, first_name="Zoe", email="zoe@example.test"
    )
    agent = api.as_(world.agent)
    for first, second in ((a["id"], a["id"]), (a["id"], gid(foreign)), (a["id"], "bm9wZQ==")):
        result = await agent.execute(DISMISS, {"input": {"firstId": first, "secondId": second}})
        assert result.payload_codes("contactDuplicateDismiss") == ["NOT_FOUND"], (first, second)
    outsider = await api.as_(world.outsider).execute(
        DISMISS, {"input": {"firstId": a["id"], "secondId": b["id"]}}
    )
    assert outsider.payload_codes("contactDuplicateDismiss") == ["NOT_FOUND"]
    assert await DuplicateSuggestion.filter(dismissed_at__isnull=False).count() == 0


async def test_rebuilding_every_suggestion_finds_what_edits_found(api, world):
    """A bulk load writes contacts directly; `refresh_all_suggestions` then finds the same
    pairs the per-change maintenance finds, including across batches of birth dates."""
    specs = [
        ("Marie", "Tremblay", "m@example.test", None, date(1990, 5, 4)),
        ("Marie", "Tremblai", "m@example.test", None, date(1990, 5, 4)),
        ("Paul", "Roy", None, "+15145550100", date(1980, 1, 1)),
        ("Paule", "Roy", None, "+15145550100", date(1980, 1, 2)),
        ("Jean-Éric", "Dupont", None, None, date(1970, 3, 3)),
        ("jean eric", "DUPOND", None, None, date(1970, 3, 3)),
        ("Anne", "Roy", None, None, date(1970, 3, 3)),
    ]
    for n in range(20):  # more birth dates than a batch
        specs.append((f"Solo{n}", "Person", None, None, date(1960, 1, 1 + n)))
    made = []
    for first_name, last_name, email, phone, birth_date in specs:
        made.append(
            await make_contact(
                world.organization,
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
                birth_date=birth_date,
            )
        )
    assert await suggested(api, world) == []
    count = await suggestions.refresh_all_suggestions(world.organization.id, batch_size=3)
    rebuilt = await suggested(api, world)
    assert count == 3 and rebuilt == [
        ("Marie Tremblay", "Marie Tremblai", ["EMAIL", "NAME_AND_BIRTH_DATE"]),
        ("Paul Roy", "Paule Roy", ["PHONE"]),
        ("Jean-Éric Dupont", "jean eric DUPOND", ["NAME_AND_BIRTH_DATE"]),
    ]
    await DuplicateSuggestion.all().delete()
    await suggestions.refresh_suggestions(world.organization.id, [c.id for c in made])
    assert await suggested(api, world) == rebuilt


def test_the_segment_prefilter_never_hides_a_close_name():
    """Any name within the edit limit shares a piece with the other: checked on random
    edits of random names, so the cheap filter only ever removes true negatives."""
    rng = random.Random(5)
    letters = "abcdefghij "
    for _ in range(3000):
        a = "".join(rng.choice(letters) for _ in range(rng.randint(4, 20)))
        b = list(a)
        for _ in range(rng.randint(0, 2)):
            i = rng.randrange(len(b) + 1)
            match rng.randrange(3):
                case 0:
                    b.insert(i, rng.choice(letters))
                case 1 if i < len(b):
                    del b[i]
                case _ if i < len(b):
                    b[i] = rng.choice(letters)
        b = "".join(b)
        limit = min(2, max(len(a), len(b)) // 4)
        if levenshtein(a, b, limit) <= limit:
            assert suggestions._shares_a_segment(a, b, limit), (a, b)


async def test_listing_ten_or_a_hundred_pairs_costs_the_same_statements(api, world):
    for n in range(100):
        email = f"twin{n:03}@example.test"
        for last_name in ("A", "B"):
            await make_contact(
                world.organization, first_name=f"Twin{n:03}", last_name=last_name, email=email
            )
    ids = await Contact.filter(organization_id=world.organization.id).values_list("id", flat=True)
    await suggestions.refresh_suggestions(world.organization.id, ids)
    query = """query($o: ID!, $first: Int) { contactDuplicates(organizationId: $o, first: $first) {
      edges { node { reasons first { displayName email } second { displayName } } } } }"""
    counts = {}
    for size in (10, 100):
        with count_statements() as statements:
            result = await api.as_(world.viewer).execute(query, {"o": world.org_gid, "first": size})
        assert len(result.payload("contactDuplicates")["edges"]) == size
        counts[size] = len(statements)
    assert counts[10] == counts[100] <= 4, counts


async def test_a_merge_keeps_custom_field_answers(api, world):
    """The survivor's answers win; questions it left blank take the first other's answer."""
    allergy = await a_fresh_field(world, type=CustomFieldType.TEXT)
    shirt = await a_fresh_field(world, type=CustomFieldType.TEXT)
    sport = await a_fresh_field(world, type=CustomFieldType.TEXT)
    survivor = await make_contact(world.organization, first_name="Kim")
    first_other = await make_contact(world.organization, first_name="Kim")
    second_other = await make_contact(world.organization, first_name="Kim")
    for contact, field, value in (
        (survivor, allergy, "peanuts"),
        (first_other, allergy, "none"),
        (first_other, shirt, "M"),
        (second_other, shirt, "L"),
        (second_other, sport, "soccer"),
    ):
        await CustomFieldAnswer.create(contact=contact, field=field, content={"value": value})
    result = await api.as_(world.agent).execute(
        MERGE, merge_input(gid(survivor), gid(first_other), gid(second_other))
    )
    result.ok("contactMerge")
    kept = {a.field_id: a.value for a in await CustomFieldAnswer.filter(contact_id=survivor.id)}
    assert kept == {allergy.id: "peanuts", shirt.id: "M", sport.id: "soccer"}
    event = await AuditEvent.filter(action="contact.merge").get()
    assert [m["custom_fields"] for m in event.before["merged"]] == [
        {str(allergy.id): "none", str(shirt.id): "M"},
        {str(shirt.id): "L", str(sport.id): "soccer"},
    ]
