"""The client-side fields, run as each relationship to one household: its primary, a FULL
and an ASSIGNED account contact, the primary of another account, staff of the other
organization, and anonymously. Refused calls write nothing."""

from models.contacts import ConsentRecord
from tests.accounts.flows import MEMBER_ADD, create, holder, years_ago
from tests.support.world import make_member

CONSENT = """mutation($id: ID!) {
  myAccountMemberConsentSet(input: {accountContactId: $id, channel: SMS, status: EXPRESS}) {
    person { firstName } errors { code field } } }"""
MINE = "{ me { accounts { name people { firstName } } } }"


async def household(api, world, password_hash):
    people = {}
    for who in ("primary", "full", "assigned", "elsewhere"):
        people[who] = await make_member(f"{who}@example.test", password_hash, None, None)
    account = await create(
        api,
        world,
        holder(email="primary@example.test"),
        [{"firstName": "Léa", "birthDate": years_ago(8)}],
    )
    for level in ("FULL", "ASSIGNED"):
        added = await api.as_(world.agent).execute(
            MEMBER_ADD,
            {
                "input": {
                    "accountId": account["id"],
                    "kind": "OTHER",
                    "accessLevel": level,
                    "member": {
                        "firstName": level.title(),
                        "email": f"{level.lower()}@example.test",
                    },
                }
            },
        )
        added.ok("clientAccountMemberAdd")
    await create(
        api, world, holder(firstName="Else", lastName="Where", email="elsewhere@example.test")
    )
    child = next(c["id"] for c in account["contacts"] if c["contact"]["firstName"] == "Léa")
    return people, child


def outcome(result) -> str:
    if result.error_codes:
        return result.error_codes[0]
    codes = [e["code"] for e in result.data["myAccountMemberConsentSet"]["errors"]]
    return codes[0] if codes else "ALLOWED"


async def test_minor_consent_by_relationship(api, world, password_hash):
    people, child = await household(api, world, password_hash)
    expected = {
        "primary": "ALLOWED",
        "full": "NOT_FOUND",
        "assigned": "NOT_FOUND",
        "elsewhere": "NOT_FOUND",
    }
    for who, want in expected.items():
        before = await ConsentRecord.all().count()
        got = outcome(await api.as_(people[who]).execute(CONSENT, {"id": child}))
        assert got == want, who
        if want != "ALLOWED":
            assert await ConsentRecord.all().count() == before
    assert outcome(await api.as_(world.outsider).execute(CONSENT, {"id": child})) == "NOT_FOUND"
    assert outcome(await api.as_(world.owner).execute(CONSENT, {"id": child})) == "FORBIDDEN"
    assert outcome(await api.execute(CONSENT, {"id": child})) == "UNAUTHENTICATED"
    assert await ConsentRecord.all().count() == 1


async def test_my_accounts_by_relationship(api, world, password_hash):
    people, _ = await household(api, world, password_hash)

    async def seen(member) -> list[tuple[str, list[str]]]:
        result = await api.as_(member).execute(MINE)
        return [
            (a["name"], sorted(p["firstName"] for p in a["people"]))
            for a in result.data["me"]["accounts"]
        ]

    everyone = ["Assigned", "Full", "Léa", "Marie"]
    assert await seen(people["primary"]) == [("Tremblay", everyone)]
    assert await seen(people["full"]) == [("Tremblay", everyone)]
    assert await seen(people["assigned"]) == [("Tremblay", ["Assigned"])]
    assert await seen(people["elsewhere"]) == [("Where", ["Else"])]
    assert await seen(world.outsider) == []
    anonymous = await api.execute(MINE)
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
