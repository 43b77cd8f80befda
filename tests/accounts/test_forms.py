"""Forms of a client account through the API: staff define and assign them, the contacts
who see a form answer it, sign it, and a signed response keeps exactly what was signed."""

from __future__ import annotations

import hashlib
import json

from models.account_forms import AccountFormResponse, AccountFormVersion
from models.audit import AuditEvent
from tests.accounts.test_items import GROUP_CREATE, MEMBERS_SET, _household, _household_other

ERRORS = "errors { code field message }"
FORM = """form { id title version questions { key label kind required choices }
  accessGroupIds accountContactIds
  response { status version signerName signedAt signatureHash answers { questionKey value } }
  signedResponses { version signatureHash } }"""
CREATE = f"""mutation($input: AccountFormCreateInput!) {{
  accountFormCreate(input: $input) {{ {FORM} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: AccountFormUpdateInput!) {{
  accountFormUpdate(input: $input) {{ {FORM} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{ accountFormDelete(input: {{formId: $id}}) {{
  deletedFormId account {{ forms {{ id }} }} {ERRORS} }} }}"""
SAVE = f"""mutation($id: ID!, $answers: [FormAnswerInput!]!) {{
  myAccountFormAnswersSave(input: {{formId: $id, answers: $answers}}) {{ {FORM} {ERRORS} }} }}"""
SIGN = f"""mutation($id: ID!, $name: String!) {{
  myAccountFormSign(input: {{formId: $id, signerName: $name}}) {{ {FORM} {ERRORS} }} }}"""
MINE = "{ me { accounts { forms { id title } } } }"
STAFF = "query($id: ID!) { clientAccount(id: $id) { forms { id title version } } }"

QUESTIONS = [
    {"label": "Company name", "kind": "TEXT", "required": True},
    {"label": "Coverage", "kind": "CHOICE", "choices": ["Basic", "Full"], "required": True},
    {"label": "Start", "kind": "DATE"},
    {"label": "Employees", "kind": "NUMBER"},
    {"label": "Claims before?", "kind": "YES_NO", "required": True},
]


async def _forms_of(api, who) -> list[list[str]]:
    result = await api.as_(who).execute(MINE)
    assert not result.errors, result.errors
    return [sorted(f["title"] for f in a["forms"]) for a in result.data["me"]["accounts"]]


async def _setup(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    group = (
        await api.as_(world.agent).execute(GROUP_CREATE, {"account": account["id"], "name": "Ops"})
    ).ok("accountAccessGroupCreate")["accessGroup"]
    await api.as_(world.agent).execute(
        MEMBERS_SET, {"id": group["id"], "links": [links["assigned"]]}
    )
    made = await api.as_(world.agent).execute(
        CREATE,
        {
            "input": {
                "accountId": account["id"],
                "title": "Renewal",
                "questions": QUESTIONS,
                "accessGroupIds": [group["id"]],
            }
        },
    )
    form = made.ok("accountFormCreate")["form"]
    return account, users, links, group, form


def _recomputed(version: AccountFormVersion, answers: dict) -> str:
    canonical = json.dumps(
        {
            "form_id": version.form_id,
            "version": version.number,
            "title": version.title,
            "questions": version.questions,
            "answers": answers,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def test_forms_are_seen_as_documents_are(api, world, password_hash):
    account, users, links, group, form = await _setup(api, world, password_hash)
    assert [q["key"] for q in form["questions"]] == ["q1", "q2", "q3", "q4", "q5"]
    assert form["accessGroupIds"] == [group["id"]] and form["response"] is None
    assert await _forms_of(api, users["primary"]) == [["Renewal"]]
    assert await _forms_of(api, users["full"]) == [["Renewal"]]
    assert await _forms_of(api, users["assigned"]) == [["Renewal"]]
    assert await _forms_of(api, users["other"]) == [[]]
    stranger, _, _ = await _household_other(api, world, password_hash)
    assert await _forms_of(api, stranger) == [[]]
    staff = await api.as_(world.viewer).execute(STAFF, {"id": account["id"]})
    assert staff.data["clientAccount"]["forms"] == [
        {"id": form["id"], "title": "Renewal", "version": 1}
    ]
    assert (await api.as_(world.outsider).execute(STAFF, {"id": account["id"]})).error_codes == [
        "NOT_FOUND"
    ]
    # Who may answer: those who see it. Others, another org's staff: NOT_FOUND; staff roles
    # of this organization are not account contacts: FORBIDDEN.
    answer = {"id": form["id"], "answers": [{"questionKey": "q1", "value": "Acme"}]}
    for who in (users["other"], stranger, world.outsider):
        refused = await api.as_(who).execute(SAVE, answer)
        assert refused.payload_codes("myAccountFormAnswersSave") == ["NOT_FOUND"]
    assert (await api.as_(world.owner).execute(SAVE, answer)).error_codes == ["FORBIDDEN"]
    assert await AccountFormResponse.all().count() == 0
    # Reassigned to the "other" contact alone: the assigned one no longer sees it.
    moved = await api.as_(world.agent).execute(
        UPDATE,
        {
            "input": {
                "formId": form["id"],
                "accessGroupIds": [],
                "accountContactIds": [links["other"]],
            }
        },
    )
    assert moved.ok("accountFormUpdate")["form"]["version"] == 1  # no new version
    assert await _forms_of(api, users["assigned"]) == [[]]
    assert await _forms_of(api, users["other"]) == [["Renewal"]]
    # Staff-only definitions: a viewer is refused, another organization gets NOT_FOUND.
    viewer = await api.as_(world.viewer).execute(DELETE, {"id": form["id"]})
    assert viewer.error_codes == ["FORBIDDEN"]
    foreign = await api.as_(world.outsider).execute(DELETE, {"id": form["id"]})
    assert foreign.payload_codes("accountFormDelete") == ["NOT_FOUND"]
    gone = await api.as_(world.agent).execute(DELETE, {"id": form["id"]})
    assert gone.ok("accountFormDelete")["account"]["forms"] == []


async def test_answer_sign_and_a_signed_version_stays_as_signed(api, world, password_hash):
    account, users, links, group, form = await _setup(api, world, password_hash)
    assigned = api.as_(users["assigned"])
    bad = await assigned.execute(
        SAVE,
        {
            "id": form["id"],
            "answers": [
                {"questionKey": "q2", "value": "Gold"},
                {"questionKey": "q3", "value": "tomorrow"},
                {"questionKey": "q4", "value": "12 people"},
                {"questionKey": "q5", "value": "maybe"},
                {"questionKey": "q9", "value": "x"},
            ],
        },
        **{"accept-language": "fr"},
    )
    errors = bad.payload("myAccountFormAnswersSave")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("INVALID", ["input", "answers", 0, "value"]),
        ("INVALID", ["input", "answers", 1, "value"]),
        ("INVALID", ["input", "answers", 2, "value"]),
        ("INVALID", ["input", "answers", 3, "value"]),
        ("NOT_FOUND", ["input", "answers", 4, "questionKey"]),
    ]
    assert errors[1]["message"] == "Indiquez une date au format AAAA-MM-JJ."
    assert await AccountFormResponse.all().count() == 0
    saved = await assigned.execute(
        SAVE,
        {
            "id": form["id"],
            "answers": [
                {"questionKey": "q2", "value": "Full"},
                {"questionKey": "q4", "value": "12.50"},
            ],
        },
    )
    response = saved.ok("myAccountFormAnswersSave")["form"]["response"]
    assert response["status"] == "DRAFT"
    assert response["answers"] == [
        {"questionKey": "q2", "value": "Full"},
        {"questionKey": "q4", "value": "12.5"},
    ]
    # Required questions missing: one error per question, nothing signed.
    early = await assigned.execute(SIGN, {"id": form["id"], "name": "Ana Assigned"})
    errors = early.payload("myAccountFormSign")["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("REQUIRED", ["answers", "q1"]),
        ("REQUIRED", ["answers", "q5"]),
    ]
    assert "Company name" in errors[0]["message"]
    await assigned.execute(
        SAVE,
        {
            "id": form["id"],
            "answers": [
                {"questionKey": "q1", "value": "Acme"},
                {"questionKey": "q5", "value": "no"},
            ],
        },
    )
    signed = await assigned.execute(SIGN, {"id": form["id"], "name": "Ana Assigned"})
    response = signed.ok("myAccountFormSign")["form"]["response"]
    assert (response["status"], response["signerName"]) == ("SIGNED", "Ana Assigned")
    assert response["signedAt"] and len(response["signatureHash"]) == 64
    row = await AccountFormResponse.get().select_related("version")
    assert row.answers == {"q1": "Acme", "q2": "Full", "q4": "12.5", "q5": False}
    assert _recomputed(row.version, row.answers) == response["signatureHash"]
    assert await AuditEvent.filter(action="account_form.sign").count() == 1
    # Read-only now: saving or signing again is refused.
    again = await assigned.execute(
        SAVE, {"id": form["id"], "answers": [{"questionKey": "q1", "value": "Other"}]}
    )
    assert again.payload_codes("myAccountFormAnswersSave") == ["READ_ONLY"]
    twice = await assigned.execute(SIGN, {"id": form["id"], "name": "Ana"})
    assert twice.payload_codes("myAccountFormSign") == ["READ_ONLY"]
    # Staff edit the form: a new version; the signed one keeps its version and hash.
    questions = [{**q, "key": f"q{i + 1}"} for i, q in enumerate(QUESTIONS)]
    questions[0]["label"] = "Legal name"
    edited = await api.as_(world.agent).execute(
        UPDATE, {"input": {"formId": form["id"], "questions": questions[:3]}}
    )
    form2 = edited.ok("accountFormUpdate")["form"]
    assert form2["version"] == 2 and form2["response"] is None
    assert form2["signedResponses"] == [{"version": 1, "signatureHash": response["signatureHash"]}]
    row = await AccountFormResponse.get().select_related("version")
    assert _recomputed(row.version, row.answers) == response["signatureHash"]
    assert row.version.questions[0]["label"] == "Company name"
    # The new version is answered afresh, by the primary this time.
    fresh = await api.as_(users["primary"]).execute(
        SAVE, {"id": form["id"], "answers": [{"questionKey": "q1", "value": "Acme Inc"}]}
    )
    assert fresh.ok("myAccountFormAnswersSave")["form"]["response"]["version"] == 2


async def test_a_draft_follows_the_form_to_its_new_version(api, world, password_hash):
    account, users, links, group, form = await _setup(api, world, password_hash)
    await api.as_(users["primary"]).execute(
        SAVE,
        {
            "id": form["id"],
            "answers": [
                {"questionKey": "q1", "value": "Acme"},
                {"questionKey": "q3", "value": "2030-01-02"},
            ],
        },
    )
    kept = [{**QUESTIONS[0], "key": "q1"}, {"label": "New", "kind": "TEXT"}]
    edited = await api.as_(world.agent).execute(
        UPDATE, {"input": {"formId": form["id"], "title": "Renewal 2", "questions": kept}}
    )
    form2 = edited.ok("accountFormUpdate")["form"]
    assert [q["key"] for q in form2["questions"]] == ["q1", "q6"]
    assert form2["title"] == "Renewal 2"
    assert form2["response"]["version"] == 2
    assert form2["response"]["answers"] == [{"questionKey": "q1", "value": "Acme"}]
    bad = await api.as_(world.agent).execute(
        UPDATE,
        {"input": {"formId": form["id"], "questions": [{"label": "", "kind": "CHOICE"}]}},
    )
    assert [(e["code"], e["field"]) for e in bad.payload("accountFormUpdate")["errors"]] == [
        ("REQUIRED", ["input", "questions", 0, "label"]),
        ("REQUIRED", ["input", "questions", 0, "choices"]),
    ]
    assert await AccountFormVersion.filter(form_id__isnull=False).count() == 2


async def test_items_of_more_accounts_cost_no_more_statements(api, world, password_hash):
    """An ASSIGNED contact's forms, tables and requests across accounts: a fixed number of
    statements however many accounts."""
    from carnet.statements import count_statements
    from models.contacts import Contact
    from schema import ids
    from tests.accounts.flows import MEMBER_ADD, create, holder
    from tests.accounts.test_requests import CREATE as REQUEST_CREATE
    from tests.accounts.test_tables import CREATE as TABLE_CREATE
    from tests.support.world import make_member

    user = await make_member("helper@example.test", password_hash, None, None)
    everything = "{ me { accounts { forms { title questions { key } response { status } } "
    everything += "tables { name rows { values } } requests { title status } } } }"

    async def one_more_household(n: int) -> None:
        account = await create(api, world, holder(lastName=f"House{n}"))
        contact = await Contact.get_or_none(email="helper@example.test")
        member = (
            {"useExistingContactId": ids.encode("Contact", contact.id)}
            if contact
            else {"firstName": "Helper", "email": "helper@example.test"}
        )
        added = await api.as_(world.agent).execute(
            MEMBER_ADD,
            {
                "input": {
                    "accountId": account["id"],
                    "kind": "OTHER",
                    "accessLevel": "ASSIGNED",
                    "member": member,
                }
            },
        )
        link = added.ok("clientAccountMemberAdd")["accountContact"]["id"]
        base = {"accountId": account["id"], "accountContactIds": [link]}
        agent = api.as_(world.agent)
        (
            await agent.execute(
                CREATE, {"input": {**base, "title": f"F{n}", "questions": QUESTIONS[:1]}}
            )
        ).ok("accountFormCreate")
        (
            await agent.execute(
                TABLE_CREATE, {"input": {**base, "name": f"T{n}", "columns": [{"label": "A"}]}}
            )
        ).ok("accountTableCreate")
        (
            await agent.execute(
                REQUEST_CREATE, {"input": {**base, "kind": "ANSWER", "title": f"R{n}"}}
            )
        ).ok("accountRequestCreate")

    async def read() -> int:
        result = await api.as_(user).execute(everything)
        assert not result.errors, result.errors
        return len(result.data["me"]["accounts"])

    await one_more_household(0)
    with count_statements() as few:
        assert await read() == 1
    for n in (1, 2, 3):
        await one_more_household(n)
    with count_statements() as many:
        assert await read() == 4
    assert len(few) == len(many)
