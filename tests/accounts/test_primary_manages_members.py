"""Issue 13: "The PRIMARY has full access to their account: edit members and contacts, add
and remove account contacts". `clientAccountMemberAdd`/`Update`/`Remove` let in staff with
accounts.write OR the account's primary (ACCOUNT_PRIMARY, also in the relationship matrix,
tests/accounts_relationship_examples.py), with the staff checks; everyone else is refused,
writing nothing."""

import pytest

from models.accounts import AccountContact
from models.audit import AuditEvent
from models.contacts import Contact
from schema import ids
from tests.accounts.flows import MEMBER_ADD, MEMBER_REMOVE, MEMBER_UPDATE
from tests.support.relationships import household

REFUSED = {"FULL", "ASSIGNED", "OTHER_ACCOUNT", "OTHER_ORGANIZATION", "ANONYMOUS"}


def add(house):
    return {"input": {"accountId": house.account["id"], "member": {"firstName": "Noé"}}}


def update(house):
    return {"input": {"accountContactId": house.links["child"], "firstName": "Lea"}}


def remove(house):
    return {"id": house.links["assigned"]}


def refusal(result, field) -> str | None:
    if result.error_codes:
        return result.error_codes[0]
    codes = [e["code"] for e in result.data[field]["errors"]]
    return codes[0] if codes else None


async def rows() -> tuple[int, list[str]]:
    names = sorted(await Contact.all().values_list("first_name", flat=True))
    return await AccountContact.all().count(), names


@pytest.mark.parametrize(
    ("operation", "variables", "field"),
    [
        (MEMBER_ADD, add, "clientAccountMemberAdd"),
        (MEMBER_UPDATE, update, "clientAccountMemberUpdate"),
        (MEMBER_REMOVE, remove, "clientAccountMemberRemove"),
    ],
)
async def test_others_cannot_manage_the_households_members(
    operation, variables, field, api, world, password_hash
):
    house = await household(api, world, password_hash)
    before = await rows()
    for column in sorted(REFUSED):
        result = await api.as_(house.caller(column)).execute(operation, variables(house))
        want = "UNAUTHENTICATED" if column == "ANONYMOUS" else ("FORBIDDEN", "NOT_FOUND")
        assert refusal(result, field) in want, (column, result.body)
    assert await rows() == before


@pytest.mark.parametrize(
    ("operation", "variables", "field"),
    [
        (MEMBER_ADD, add, "clientAccountMemberAdd"),
        (MEMBER_UPDATE, update, "clientAccountMemberUpdate"),
        (MEMBER_REMOVE, remove, "clientAccountMemberRemove"),
    ],
)
async def test_the_primary_manages_the_households_members(
    operation, variables, field, api, world, password_hash
):
    house = await household(api, world, password_hash)
    result = await api.as_(house.caller("PRIMARY")).execute(operation, variables(house))
    assert refusal(result, field) is None, result.body


async def test_what_the_primary_does_is_written_and_audited_as_them(api, world, password_hash):
    house = await household(api, world, password_hash)
    primary = api.as_(house.caller("PRIMARY"))
    added = (await primary.execute(MEMBER_ADD, add(house))).ok("clientAccountMemberAdd")
    assert added["accountContact"]["contact"]["firstName"] == "Noé"
    assert added["accountContact"]["accessLevel"] == "NONE"
    updated = (await primary.execute(MEMBER_UPDATE, update(house))).ok(
        "clientAccountMemberUpdate"
    )
    assert updated["accountContact"]["contact"]["firstName"] == "Lea"
    removed = (await primary.execute(MEMBER_REMOVE, remove(house))).ok(
        "clientAccountMemberRemove"
    )
    assert removed["removedAccountContactId"] == house.links["assigned"]
    assert house.links["assigned"] not in {c["id"] for c in removed["account"]["contacts"]}
    user_id = house.users["primary"].user.id
    for action in (
        "client_account.contact_add",
        "contact.update",
        "client_account.contact_remove",
    ):
        events = await AuditEvent.filter(action=action, actor_id=user_id).count()
        assert events == 1, action


async def test_the_primary_cannot_remove_themselves(api, world, password_hash):
    house = await household(api, world, password_hash)
    before = await rows()
    result = await api.as_(house.caller("PRIMARY")).execute(
        MEMBER_REMOVE, {"id": house.links["primary"]}
    )
    [error] = result.payload("clientAccountMemberRemove")["errors"]
    assert (error["code"], error["field"]) == ("PRIMARY_REQUIRED", ["input", "accountContactId"])
    assert await rows() == before


async def test_the_primary_never_changes_a_login_email(api, world, password_hash):
    house = await household(api, world, password_hash)
    result = await api.as_(house.caller("PRIMARY")).execute(
        MEMBER_UPDATE,
        {"input": {"accountContactId": house.links["full"], "email": "mine@example.test"}},
    )
    [error] = result.payload("clientAccountMemberUpdate")["errors"]
    assert (error["code"], error["field"]) == ("LOGIN_EMAIL_LOCKED", ["input", "email"])
    emails = await Contact.all().values_list("email", flat=True)
    assert "mine@example.test" not in emails


async def test_the_primary_gets_the_same_checks_as_staff(api, world, password_hash):
    house = await household(api, world, password_hash)
    before = await rows()
    result = await api.as_(house.caller("PRIMARY")).execute(
        MEMBER_ADD,
        {"input": {"accountId": house.account["id"], "member": {"email": "not-an-email"}}},
    )
    errors = result.payload("clientAccountMemberAdd")["errors"]
    assert {(e["code"], tuple(e["field"])) for e in errors} == {
        ("REQUIRED", ("input", "member", "firstName")),
        ("INVALID_EMAIL", ("input", "member", "email")),
    }
    assert await rows() == before


async def test_the_primary_cannot_bring_in_any_contact_of_the_address_book(
    api, world, password_hash
):
    """Staff may add any contact of the organization (a child of another household); the
    primary only one of a household they are primary of: the rest is NOT_FOUND to them."""
    house = await household(api, world, password_hash)
    stranger = await Contact.create(
        organization_id=world.organization.id, first_name="Stranger", sort_name="stranger"
    )
    before = await rows()
    result = await api.as_(house.caller("PRIMARY")).execute(
        MEMBER_ADD,
        {
            "input": {
                "accountId": house.account["id"],
                "member": {"useExistingContactId": ids.encode("Contact", stranger.id)},
            }
        },
    )
    [error] = result.payload("clientAccountMemberAdd")["errors"]
    assert (error["code"], error["field"]) == (
        "NOT_FOUND",
        ["input", "member", "useExistingContactId"],
    )
    assert await rows() == before
