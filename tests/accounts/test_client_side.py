"""The client side: `me { accounts }` across organizations, as each account contact's own
user sees it — the primary and FULL contacts the household, an ASSIGNED contact only
themselves, a NONE contact nothing; each parent of a child in two households their own."""

from models.accounts import AccessLevel, AccountContact
from models.contacts import Contact
from tests.accounts.flows import MEMBER_ADD, create, holder, years_ago
from tests.support.world import make_member

MINE = """{ me { accounts { id name organizationName role accessLevel
  people { firstName role } } } }"""


async def accounts_of(api, member) -> list[dict]:
    result = await api.as_(member).execute(MINE)
    assert not result.errors, result.errors
    return result.data["me"]["accounts"]


async def a_user(email, password_hash):
    return await make_member(email, password_hash, None, None)


async def test_the_primary_sees_their_household_in_every_organization(api, world, password_hash):
    email = world.loner.user.email
    here = await create(
        api, world, holder(email=email), [{"firstName": "Léa", "birthDate": years_ago(8)}]
    )
    await create(api, world, holder(firstName="Paul", lastName="Roy"))  # not theirs
    there = await api.as_(world.outsider).execute(
        """mutation($input: ClientAccountCreateInput!) { clientAccountCreate(input: $input) {
          account { id } errors { code } } }""",
        {
            "input": {
                "organizationId": world.other_org_gid,
                "holder": holder(email=email, lastName="Beta"),
            }
        },
    )
    there.ok("clientAccountCreate")
    mine = await accounts_of(api, world.loner)
    assert [(a["organizationName"], a["name"], a["role"]) for a in mine] == [
        ("Club Alpha", "Tremblay", "PRIMARY"),
        ("Club Beta", "Beta", "PRIMARY"),
    ]
    assert mine[0]["id"] == here["id"]
    assert mine[0]["accessLevel"] == "FULL"
    assert sorted((p["firstName"], p["role"]) for p in mine[0]["people"]) == [
        ("Léa", "MEMBER"),
        ("Marie", "PRIMARY"),
    ]
    assert await accounts_of(api, world.agent) == []


async def test_a_child_in_two_households_seen_by_each_primary_alone(api, world, password_hash):
    mother = await a_user("mother@example.test", password_hash)
    father = await a_user("father@example.test", password_hash)
    first = await create(
        api,
        world,
        holder(email=mother.user.email),
        [{"firstName": "Léa", "birthDate": years_ago(8)}],
    )
    child = first["contacts"][1]["contact"]["id"]
    second = await create(
        api,
        world,
        holder(firstName="Paul", lastName="Roy", email=father.user.email),
        [{"firstName": "Noé", "birthDate": years_ago(15)}],
    )
    added = await api.as_(world.agent).execute(
        MEMBER_ADD,
        {"input": {"accountId": second["id"], "member": {"useExistingContactId": child}}},
    )
    added.ok("clientAccountMemberAdd")
    [hers] = await accounts_of(api, mother)
    [his] = await accounts_of(api, father)
    assert sorted(p["firstName"] for p in hers["people"]) == ["Léa", "Marie"]
    assert sorted(p["firstName"] for p in his["people"]) == ["Léa", "Noé", "Paul"]


async def test_other_account_contacts_see_by_access_level(api, world, password_hash):
    account = await create(api, world, members=[{"firstName": "Léa", "birthDate": years_ago(8)}])
    people = {}
    for level in ("FULL", "ASSIGNED", "NONE"):
        member = await a_user(f"{level.lower()}@example.test", password_hash)
        result = await api.as_(world.agent).execute(
            MEMBER_ADD,
            {
                "input": {
                    "accountId": account["id"],
                    "kind": "OTHER",
                    "accessLevel": level,
                    "member": {"firstName": level.title(), "email": member.user.email},
                }
            },
        )
        result.ok("clientAccountMemberAdd")
        people[level] = member
    [full] = await accounts_of(api, people["FULL"])
    assert (full["role"], full["accessLevel"]) == ("OTHER", "FULL")
    assert len(full["people"]) == 5
    [assigned] = await accounts_of(api, people["ASSIGNED"])
    assert [p["firstName"] for p in assigned["people"]] == ["Assigned"]
    assert await accounts_of(api, people["NONE"]) == []
    # Access can be taken away: the account disappears from their list.
    link = await AccountContact.get(contact__email="full@example.test")
    await AccountContact.filter(id=link.id).update(access_level=AccessLevel.NONE)
    assert await accounts_of(api, people["FULL"]) == []
    assert await Contact.filter(email="full@example.test", user_id__isnull=False).count() == 1


async def test_staff_never_read_another_users_accounts(api, world):
    await create(api, world, holder(email=world.agent.user.email))
    result = await api.as_(world.owner).execute(
        """query($o: ID!) { staffMembers(organizationId: $o, first: 10) {
          edges { node { user { email accounts { id } } } } } }""",
        {"o": world.org_gid},
    )
    assert set(result.error_codes) <= {"NOT_FOUND", "FORBIDDEN"} and result.error_codes


CONSENT = """mutation($id: ID!, $status: ConsentStatus!) {
  myAccountMemberConsentSet(input: {accountContactId: $id, channel: EMAIL, status: $status,
                                    proof: "I agree to the club's newsletter."}) {
    person { firstName } errors { code field } } }"""


async def test_a_primary_gives_a_minors_consent_recorded_as_such(api, world, password_hash):
    from models.contacts import ConsentRecord, ConsentStatus

    parent = await a_user("parent@example.test", password_hash)
    account = await create(
        api,
        world,
        holder(email=parent.user.email),
        [
            {"firstName": "Léa", "birthDate": years_ago(8)},
            {"firstName": "Max", "birthDate": years_ago(30)},
        ],
    )
    by_name = {c["contact"]["firstName"]: c["id"] for c in account["contacts"]}
    given = await api.as_(parent).execute(CONSENT, {"id": by_name["Léa"], "status": "EXPRESS"})
    assert given.ok("myAccountMemberConsentSet")["person"]["firstName"] == "Léa"
    [record] = await ConsentRecord.all()
    assert (record.status, record.source, record.recorded_by_id) == (
        ConsentStatus.EXPRESS,
        "account primary",
        parent.user.id,
    )
    assert "Marie Tremblay (primary of Tremblay)" in record.proof
    adult = await api.as_(parent).execute(CONSENT, {"id": by_name["Max"], "status": "EXPRESS"})
    assert adult.payload_codes("myAccountMemberConsentSet") == ["INVALID"]
    implied = await api.as_(parent).execute(CONSENT, {"id": by_name["Léa"], "status": "IMPLIED"})
    assert "INVALID" in implied.payload_codes("myAccountMemberConsentSet")
    # Staff, and a stranger, cannot give it in the parent's name.
    staff = await api.as_(world.owner).execute(CONSENT, {"id": by_name["Léa"], "status": "EXPRESS"})
    assert staff.error_codes == ["FORBIDDEN"]
    stranger = await api.as_(world.loner).execute(
        CONSENT, {"id": by_name["Léa"], "status": "WITHDRAWN"}
    )
    assert stranger.payload_codes("myAccountMemberConsentSet") == ["NOT_FOUND"]
    assert await ConsentRecord.all().count() == 1
