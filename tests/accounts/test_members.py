"""Members of a household and other account contacts: added (new or existing contacts, a
child in two households), edited (never a login's email), removed (never the primary);
the primary moved atomically to another adult of the account."""

from models.accounts import AccountContact, ClientAccount
from models.contacts import Contact
from models.staff import Invitation, InvitationState
from schema import ids
from tests.accounts.flows import (
    MEMBER_ADD,
    MEMBER_REMOVE,
    MEMBER_UPDATE,
    ONE,
    PRIMARY_CHANGE,
    contact_gid,
    create,
    holder,
    mails,
    years_ago,
)
from tests.support.contacts import new_contact


async def add(api, world, account_id, member, who=None, **extra):
    result = await api.as_(who or world.agent).execute(
        MEMBER_ADD, {"input": {"accountId": account_id, "member": member, **extra}}
    )
    return result


async def test_members_of_any_age_are_added_edited_and_removed(api, world):
    account = await create(api, world)
    baby = await add(api, world, account["id"], {"firstName": "Bébé", "birthDate": years_ago(0)})
    link = baby.ok("clientAccountMemberAdd")["accountContact"]
    assert (link["role"], link["accessLevel"], link["canLogIn"]) == ("MEMBER", "NONE", False)
    edited = await api.as_(world.agent).execute(
        MEMBER_UPDATE, {"input": {"accountContactId": link["id"], "firstName": "Zoé"}}
    )
    assert edited.ok("clientAccountMemberUpdate")["accountContact"]["contact"]["firstName"] == "Zoé"
    removed = await api.as_(world.agent).execute(MEMBER_REMOVE, {"id": link["id"]})
    payload = removed.ok("clientAccountMemberRemove")
    assert payload["removedAccountContactId"] == link["id"]
    assert len(payload["account"]["contacts"]) == 1
    # The person stays in the address book.
    assert await Contact.filter(first_name="Zoé").count() == 1


async def test_the_primary_cannot_be_removed(api, world):
    account = await create(api, world)
    primary = account["contacts"][0]
    result = await api.as_(world.agent).execute(MEMBER_REMOVE, {"id": primary["id"]})
    [error] = result.payload("clientAccountMemberRemove")["errors"]
    assert (error["code"], error["field"]) == (
        "PRIMARY_REQUIRED",
        ["input", "accountContactId"],
    )
    assert await AccountContact.all().count() == 1


async def test_the_primary_moves_atomically_to_another_adult(api, world):
    account = await create(
        api,
        world,
        members=[
            {"firstName": "Luc", "lastName": "Tremblay", "birthDate": years_ago(45)},
            {"firstName": "Léa", "lastName": "Tremblay", "birthDate": years_ago(10)},
        ],
    )
    by_name = {c["contact"]["firstName"]: c for c in account["contacts"]}
    old, luc, lea = by_name["Marie"], by_name["Luc"], by_name["Léa"]
    minor = await api.as_(world.agent).execute(
        PRIMARY_CHANGE, {"account": account["id"], "contact": lea["id"]}
    )
    assert minor.payload_codes("clientAccountPrimaryChange") == ["UNDER_AGE"]
    moved = await api.as_(world.agent).execute(
        PRIMARY_CHANGE, {"account": account["id"], "contact": luc["id"]}
    )
    after = moved.ok("clientAccountPrimaryChange")["account"]
    roles = {c["contact"]["firstName"]: c["role"] for c in after["contacts"]}
    assert roles == {"Luc": "PRIMARY", "Marie": "MEMBER", "Léa": "MEMBER"}
    assert after["contacts"][0]["contact"]["firstName"] == "Luc"
    assert [c["role"] for c in after["contacts"]].count("PRIMARY") == 1
    # Now the former primary may leave.
    gone = await api.as_(world.agent).execute(MEMBER_REMOVE, {"id": old["id"]})
    gone.ok("clientAccountMemberRemove")


async def test_another_accounts_contact_cannot_become_primary(api, world):
    first = await create(api, world)
    second = await create(api, world, holder(firstName="Paul", lastName="Roy"))
    result = await api.as_(world.agent).execute(
        PRIMARY_CHANGE, {"account": first["id"], "contact": second["contacts"][0]["id"]}
    )
    [error] = result.payload("clientAccountPrimaryChange")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "accountContactId"])


async def test_a_child_in_two_households(api, world):
    mother = await create(api, world, members=[{"firstName": "Léa", "birthDate": years_ago(8)}])
    child_id = mother["contacts"][1]["contact"]["id"]
    father = await create(api, world, holder(firstName="Paul", lastName="Roy"))
    added = await add(api, world, father["id"], {"useExistingContactId": child_id})
    assert added.ok("clientAccountMemberAdd")["accountContact"]["contact"]["id"] == child_id
    twice = await add(api, world, father["id"], {"useExistingContactId": child_id})
    assert twice.payload_codes("clientAccountMemberAdd") == ["ALREADY_EXISTS"]
    assert await Contact.filter(first_name="Léa").count() == 1
    for account, other in ((mother, father), (father, mother)):
        read = await api.as_(world.viewer).execute(ONE, {"id": account["id"]})
        people = {c["contact"]["id"] for c in read.data["clientAccount"]["contacts"]}
        assert child_id in people
        assert other["primaryContact"]["id"] not in people


async def test_a_member_from_another_organization_is_not_found(api, world):
    account = await create(api, world)
    foreign = await new_contact(world.other_organization, "Paul Autre")
    result = await add(api, world, account["id"], {"useExistingContactId": contact_gid(foreign)})
    [error] = result.payload("clientAccountMemberAdd")["errors"]
    assert (error["code"], error["field"]) == (
        "NOT_FOUND",
        ["input", "member", "useExistingContactId"],
    )
    outsider = await add(api, world, account["id"], {"firstName": "X"}, who=world.outsider)
    [error] = outsider.payload("clientAccountMemberAdd")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "accountId"])
    assert await AccountContact.all().count() == 1


async def test_another_account_contact_gets_an_access_level_and_an_activation(api, world, settings):
    account = await create(api, world)
    result = await add(
        api,
        world,
        account["id"],
        {"firstName": "Anne", "lastName": "Comptable", "email": "anne@example.test"},
        kind="OTHER",
        accessLevel="ASSIGNED",
        relationship="accountant",
    )
    link = result.ok("clientAccountMemberAdd")["accountContact"]
    assert (link["role"], link["accessLevel"], link["relationship"]) == (
        "OTHER",
        "ASSIGNED",
        "accountant",
    )
    assert link["canLogIn"] is True and link["activation"] == "PENDING"
    assert len(await mails("anne@example.test", "account_activation")) == 1
    removed = await api.as_(world.agent).execute(MEMBER_REMOVE, {"id": link["id"]})
    removed.ok("clientAccountMemberRemove")
    assert (await Invitation.get(email="anne@example.test")).state is InvitationState.REVOKED


async def test_staff_never_change_the_email_a_user_signs_in_with(api, world, settings):
    account = await create(api, world, holder(email=world.loner.user.email))
    primary = account["contacts"][0]
    result = await api.as_(world.agent).execute(
        MEMBER_UPDATE,
        {"input": {"accountContactId": primary["id"], "email": "other@example.test"}},
    )
    [error] = result.payload("clientAccountMemberUpdate")["errors"]
    assert (error["code"], error["field"]) == ("LOGIN_EMAIL_LOCKED", ["input", "email"])
    assert (await Contact.get(user_id=world.loner.user.id)).email == world.loner.user.email
    renamed = await api.as_(world.agent).execute(
        MEMBER_UPDATE, {"input": {"accountContactId": primary["id"], "firstName": "Lonely"}}
    )
    renamed.ok("clientAccountMemberUpdate")


async def test_the_primary_stays_an_adult(api, world):
    account = await create(api, world)
    result = await api.as_(world.agent).execute(
        MEMBER_UPDATE,
        {"input": {"accountContactId": account["contacts"][0]["id"], "birthDate": years_ago(12)}},
    )
    assert result.payload_codes("clientAccountMemberUpdate") == ["UNDER_AGE"]


async def test_edits_change_this_organizations_copy_only(api, world):
    account = await create(api, world, holder(email="marie@example.test"))
    theirs = await new_contact(world.other_organization, "Marie Tremblay")
    await Contact.filter(id=theirs.id).update(email="marie@example.test")
    await api.as_(world.agent).execute(
        MEMBER_UPDATE,
        {"input": {"accountContactId": account["contacts"][0]["id"], "lastName": "Gagnon"}},
    )
    assert (await Contact.get(id=theirs.id)).last_name == "Tremblay"
    assert await ClientAccount.filter(organization=world.other_organization).count() == 0
    assert ids.decode(account["id"])[0] == "ClientAccount"


MERGE = """mutation($s: ID!, $o: [ID!]!) { contactMerge(input: {survivorId: $s, otherIds: $o}) {
  contact { id } errors { code field } } }"""


async def test_merging_a_primary_into_a_member_keeps_the_household(api, world):
    account = await create(
        api,
        world,
        members=[{"firstName": "Luc", "lastName": "Tremblay", "birthDate": years_ago(45)}],
    )
    by_name = {c["contact"]["firstName"]: c for c in account["contacts"]}
    marie, luc = by_name["Marie"]["contact"]["id"], by_name["Luc"]["contact"]["id"]
    other = await create(api, world, holder(firstName="Paul", lastName="Roy"))
    paul = other["contacts"][0]["contact"]["id"]
    merged = await api.as_(world.agent).execute(MERGE, {"s": luc, "o": [marie, paul]})
    merged.ok("contactMerge")
    for account_id in (account["id"], other["id"]):
        read = await api.as_(world.viewer).execute(ONE, {"id": account_id})
        after = read.data["clientAccount"]
        assert after["primaryContact"]["id"] == luc
        assert [(c["role"], c["accessLevel"]) for c in after["contacts"]] == [("PRIMARY", "FULL")]
