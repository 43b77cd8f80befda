"""Feature switches through the API: skills and membership cards answer FEATURE_DISABLED
until the organization turns them on; then staff manage them, and a card's code is
verified by anyone, revealing only its validity and the member's first name."""

from __future__ import annotations

from datetime import date, timedelta

from models.account_features import MembershipCard, MemberSkill
from models.audit import AuditEvent
from tests.accounts.flows import create, holder

ERRORS = "errors { code field message }"
FEATURES = f"""mutation($o: ID!, $skills: Boolean, $cards: Boolean) {{
  organizationFeaturesUpdate(organizationId: $o, skills: $skills, membershipCards: $cards) {{
    features {{ skills membershipCards }} {ERRORS} }} }}"""
READ_FEATURES = (
    "query($o: ID!) { organizationFeatures(organizationId: $o) { skills membershipCards } }"
)
SKILL = "skill { id name level achievedOn member { firstName } }"
ADD = f"""mutation($input: MemberSkillAddInput!) {{
  memberSkillAdd(input: $input) {{ {SKILL} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: MemberSkillUpdateInput!) {{
  memberSkillUpdate(input: $input) {{ {SKILL} {ERRORS} }} }}"""
REASSIGN = f"""mutation($id: ID!, $to: ID!) {{
  memberSkillReassign(input: {{skillId: $id, accountContactId: $to}}) {{ {SKILL} {ERRORS} }} }}"""
REMOVE = f"""mutation($id: ID!) {{ memberSkillRemove(input: {{skillId: $id}}) {{
  removedSkillId {ERRORS} }} }}"""
SKILLS = "query($id: ID!) { memberSkills(accountContactId: $id) { name level } }"
CARD = f"""mutation($input: MembershipCardCreateInput!) {{ membershipCardCreate(input: $input) {{
  card {{ id number validFrom validTo valid verificationCode member {{ firstName }} }}
  {ERRORS} }} }}"""
CARDS = "query($id: ID!) { membershipCards(accountContactId: $id) { number valid } }"
VERIFY = "query($code: String!) { membershipCardVerify(code: $code) { valid firstName } }"


async def _members(api, world):
    account = await create(api, world, holder(), [{"firstName": "Léa", "birthDate": "2015-05-05"}])
    by_name = {c["contact"]["firstName"]: c["id"] for c in account["contacts"]}
    return by_name["Marie"], by_name["Léa"]


async def test_skills_appear_only_when_turned_on(api, world):
    marie, lea = await _members(api, world)
    skill = {"input": {"accountContactId": lea, "name": "Swim", "level": "Level 3"}}
    off = await api.as_(world.agent).execute(ADD, skill, **{"accept-language": "fr"})
    [error] = off.payload("memberSkillAdd")["errors"]
    assert error["code"] == "FEATURE_DISABLED"
    assert error["message"] == "Cette fonction n’est pas activée pour l’organisation."
    assert (await api.as_(world.viewer).execute(SKILLS, {"id": lea})).error_codes == [
        "FEATURE_DISABLED"
    ]
    # Only organization.manage turns features on: an agent cannot.
    agent = await api.as_(world.agent).execute(FEATURES, {"o": world.org_gid, "skills": True})
    assert agent.error_codes == ["FORBIDDEN"]
    on = await api.as_(world.owner).execute(FEATURES, {"o": world.org_gid, "skills": True})
    assert on.ok("organizationFeaturesUpdate")["features"] == {
        "skills": True,
        "membershipCards": False,
    }
    read = await api.as_(world.viewer).execute(READ_FEATURES, {"o": world.org_gid})
    assert read.data["organizationFeatures"] == {"skills": True, "membershipCards": False}
    added = (await api.as_(world.agent).execute(ADD, skill)).ok("memberSkillAdd")["skill"]
    assert (added["name"], added["member"]["firstName"]) == ("Swim", "Léa")
    updated = await api.as_(world.agent).execute(
        UPDATE, {"input": {"skillId": added["id"], "level": "Level 4", "achievedOn": "2026-06-01"}}
    )
    got = updated.ok("memberSkillUpdate")["skill"]
    assert (got["level"], got["achievedOn"]) == ("Level 4", "2026-06-01")
    moved = await api.as_(world.agent).execute(REASSIGN, {"id": added["id"], "to": marie})
    assert moved.ok("memberSkillReassign")["skill"]["member"]["firstName"] == "Marie"
    assert (await api.as_(world.viewer).execute(SKILLS, {"id": lea})).data["memberSkills"] == []
    assert (await api.as_(world.viewer).execute(SKILLS, {"id": marie})).data["memberSkills"] == [
        {"name": "Swim", "level": "Level 4"}
    ]
    # Another organization: NOT_FOUND for the skill and the member; a viewer: FORBIDDEN.
    foreign = await api.as_(world.outsider).execute(REMOVE, {"id": added["id"]})
    assert foreign.payload_codes("memberSkillRemove") == ["NOT_FOUND"]
    assert (await api.as_(world.outsider).execute(SKILLS, {"id": marie})).error_codes == [
        "NOT_FOUND"
    ]
    assert (await api.as_(world.viewer).execute(REMOVE, {"id": added["id"]})).error_codes == [
        "FORBIDDEN"
    ]
    blank = await api.as_(world.agent).execute(
        ADD, {"input": {"accountContactId": lea, "name": " "}}
    )
    assert blank.payload_codes("memberSkillAdd") == ["REQUIRED"]
    gone = await api.as_(world.agent).execute(REMOVE, {"id": added["id"]})
    assert gone.ok("memberSkillRemove")["removedSkillId"] == added["id"]
    assert await MemberSkill.all().count() == 0
    # Turned off again: the tab disappears (its data is kept for when it comes back).
    await api.as_(world.owner).execute(FEATURES, {"o": world.org_gid, "skills": False})
    assert (await api.as_(world.viewer).execute(SKILLS, {"id": lea})).error_codes == [
        "FEATURE_DISABLED"
    ]
    assert await AuditEvent.filter(action="organization.features_update").count() == 2


async def test_membership_cards_and_their_public_verification(api, world):
    marie, lea = await _members(api, world)
    today = date.today()
    card = {
        "input": {
            "accountContactId": lea,
            "number": "M-0001",
            "validFrom": (today - timedelta(days=30)).isoformat(),
            "validTo": (today + timedelta(days=335)).isoformat(),
        }
    }
    off = await api.as_(world.agent).execute(CARD, card)
    assert off.payload_codes("membershipCardCreate") == ["FEATURE_DISABLED"]
    await api.as_(world.owner).execute(FEATURES, {"o": world.org_gid, "cards": True})
    made = (await api.as_(world.agent).execute(CARD, card)).ok("membershipCardCreate")["card"]
    assert made["valid"] and made["member"]["firstName"] == "Léa"
    assert len(made["verificationCode"]) >= 20
    twice = await api.as_(world.agent).execute(
        CARD, {"input": {**card["input"], "accountContactId": marie}}
    )
    assert [(e["code"], e["field"]) for e in twice.payload("membershipCardCreate")["errors"]] == [
        ("ALREADY_EXISTS", ["input", "number"])
    ]
    backwards = await api.as_(world.agent).execute(
        CARD,
        {
            "input": {
                **card["input"],
                "number": "M-2",
                "validTo": (today - timedelta(days=60)).isoformat(),
            }
        },
    )
    assert backwards.payload_codes("membershipCardCreate") == ["INVALID"]
    assert await MembershipCard.all().count() == 1
    listed = await api.as_(world.viewer).execute(CARDS, {"id": lea})
    assert listed.data["membershipCards"] == [{"number": "M-0001", "valid": True}]
    # Anyone may verify a code: validity and first name, nothing more.
    verified = await api.execute(VERIFY, {"code": made["verificationCode"]})
    assert verified.data["membershipCardVerify"] == {"valid": True, "firstName": "Léa"}
    unknown = await api.execute(VERIFY, {"code": "nope"})
    assert unknown.data["membershipCardVerify"] == {"valid": False, "firstName": None}
    expired = await MembershipCard.get()
    expired.valid_to = today - timedelta(days=1)
    await expired.save()
    late = await api.execute(VERIFY, {"code": made["verificationCode"]})
    assert late.data["membershipCardVerify"] == {"valid": False, "firstName": "Léa"}
    # A card made by another caller (billing, later) goes through the same function.
    from models.accounts import AccountContact
    from resolvers.accounts.features import issue_card
    from resolvers.common.actor import RequestMeta
    from schema import ids

    link = await AccountContact.get(id=ids.decode(marie)[1])
    second = await issue_card(
        world.organization.id, link.contact_id, "M-0002", today, today, by=None, meta=RequestMeta()
    )
    assert second.verification_code != made["verificationCode"]


async def test_the_household_sees_its_membership_cards_once_turned_on(api, world, password_hash):
    from tests.accounts.flows import MEMBER_ADD
    from tests.support.world import make_member

    users = {
        who: await make_member(f"{who}@example.test", password_hash, None, None)
        for who in ("primary", "assigned")
    }
    account = await create(api, world, holder(email="primary@example.test"), [{"firstName": "Léa"}])
    lea = next(c["id"] for c in account["contacts"] if c["contact"]["firstName"] == "Léa")
    added = await api.as_(world.agent).execute(
        MEMBER_ADD,
        {
            "input": {
                "accountId": account["id"],
                "kind": "OTHER",
                "accessLevel": "ASSIGNED",
                "member": {"firstName": "Ana", "email": "assigned@example.test"},
            }
        },
    )
    ana = added.ok("clientAccountMemberAdd")["accountContact"]["id"]
    mine = "{ me { accounts { membershipCards { number firstName valid verificationCode } } } }"

    async def seen(who):
        result = await api.as_(who).execute(mine)
        assert not result.errors, result.errors
        return [
            [c["firstName"] for c in a["membershipCards"]] for a in result.data["me"]["accounts"]
        ]

    await api.as_(world.owner).execute(FEATURES, {"o": world.org_gid, "cards": True})
    today = date.today().isoformat()
    for n, member in enumerate((lea, ana)):
        card = {
            "accountContactId": member,
            "number": f"M-{n}",
            "validFrom": today,
            "validTo": today,
        }
        (await api.as_(world.agent).execute(CARD, {"input": card})).ok("membershipCardCreate")
    assert [sorted(names) for names in await seen(users["primary"])] == [["Ana", "Léa"]]
    assert await seen(users["assigned"]) == [["Ana"]]
    await api.as_(world.owner).execute(FEATURES, {"o": world.org_gid, "cards": False})
    assert await seen(users["primary"]) == [[]]
