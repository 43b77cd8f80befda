"""Authorization-matrix examples for the items of client accounts: forms, tables,
requests, feature switches (skills, membership cards) and member documents. Imported by
tests/accounts_authz_examples.py; each call builds its own household."""

from __future__ import annotations

from schema import ids
from tests.accounts_authz_examples import ERRORS, _serial, a_household, fresh_account
from tests.support.authz import example
from tests.support.contacts import organization_id


async def a_form(world, caller):
    """A form of a fresh household, assigned to nobody: its primary sees it."""
    from models.account_forms import AccountForm, AccountFormVersion

    account, _ = await a_household(world)
    form = await AccountForm.create(account=account)
    await AccountFormVersion.create(
        form=form,
        number=1,
        title="Renewal",
        questions=[
            {"key": "q1", "label": "Name", "kind": "TEXT", "required": False, "choices": []}
        ],
    )
    return {
        "account": ids.encode("ClientAccount", account.id),
        "id": ids.encode("AccountForm", form.id),
    }


example(
    "Mutation.accountFormCreate",
    'mutation($id: ID!) { accountFormCreate(input: {accountId: $id, title: "Renewal", '
    f'questions: [{{label: "Name", kind: TEXT}}]}}) {{ form {{ id }} {ERRORS} }} }}',
    fresh_account,
)
example(
    "Mutation.accountFormUpdate",
    'mutation($id: ID!) { accountFormUpdate(input: {formId: $id, title: "Renewal 2"}) '
    f"{{ form {{ id version }} {ERRORS} }} }}",
    a_form,
)
example(
    "Mutation.accountFormDelete",
    "mutation($id: ID!) { accountFormDelete(input: {formId: $id}) "
    f"{{ deletedFormId {ERRORS} }} }}",
    a_form,
)
example(
    "Mutation.myAccountFormAnswersSave",
    "mutation($id: ID!) { myAccountFormAnswersSave(input: {formId: $id, answers: "
    f'[{{questionKey: "q1", value: "Acme"}}]}}) {{ response {{ status }} {ERRORS} }} }}',
    a_form,
)
example(
    "Mutation.myAccountFormSign",
    'mutation($id: ID!) { myAccountFormSign(input: {formId: $id, signerName: "Ana"}) '
    f"{{ response {{ status }} {ERRORS} }} }}",
    a_form,
)


async def a_table(world, caller):
    """A table of a fresh household with one row: its primary sees it."""
    from models.account_forms import AccountTable, AccountTableRow

    account, _ = await a_household(world)
    table = await AccountTable.create(
        account=account, name="Vehicles", columns=[{"key": "c1", "label": "Make"}]
    )
    row = await AccountTableRow.create(table=table, values={"c1": "Volvo"})
    return {
        "id": ids.encode("AccountTable", table.id),
        "row": ids.encode("AccountTableRow", row.id),
    }


example(
    "Mutation.accountTableCreate",
    'mutation($id: ID!) { accountTableCreate(input: {accountId: $id, name: "Vehicles", '
    f'columns: [{{label: "Make"}}]}}) {{ table {{ id }} {ERRORS} }} }}',
    fresh_account,
)
example(
    "Mutation.accountTableUpdate",
    'mutation($id: ID!) { accountTableUpdate(input: {tableId: $id, name: "Cars"}) '
    f"{{ table {{ id }} {ERRORS} }} }}",
    a_table,
)
example(
    "Mutation.accountTableDelete",
    "mutation($id: ID!) { accountTableDelete(input: {tableId: $id}) "
    f"{{ deletedTableId {ERRORS} }} }}",
    a_table,
)
example(
    "Mutation.accountTableRowAdd",
    'mutation($id: ID!) { accountTableRowAdd(input: {tableId: $id, values: ["Kia"]}) '
    f"{{ table {{ id }} {ERRORS} }} }}",
    a_table,
)
example(
    "Mutation.accountTableRowDelete",
    "mutation($row: ID!) { accountTableRowDelete(input: {rowId: $row}) "
    f"{{ table {{ id }} {ERRORS} }} }}",
    a_table,
)


async def a_request(world, caller, state="OPEN"):
    """An ANSWER request of a fresh household, assigned to nobody: its primary sees it."""
    from models.account_requests import AccountRequest, RequestKind, RequestState

    account, _ = await a_household(world)
    request = await AccountRequest.create(
        account=account, kind=RequestKind.ANSWER, title="Mileage", state=RequestState(state)
    )
    return {"id": ids.encode("AccountRequest", request.id)}


async def a_submitted_request(world, caller):
    return await a_request(world, caller, "SUBMITTED")


example(
    "Mutation.accountRequestCreate",
    'mutation($id: ID!) { accountRequestCreate(input: {accountId: $id, kind: ANSWER, title: "M"}) '
    f"{{ request {{ id }} {ERRORS} }} }}",
    fresh_account,
)
example(
    "Mutation.accountRequestUpdate",
    'mutation($id: ID!) { accountRequestUpdate(input: {requestId: $id, title: "Miles"}) '
    f"{{ request {{ id }} {ERRORS} }} }}",
    a_request,
)
example(
    "Mutation.accountRequestDelete",
    "mutation($id: ID!) { accountRequestDelete(input: {requestId: $id}) "
    f"{{ deletedRequestId {ERRORS} }} }}",
    a_request,
)
example(
    "Mutation.accountRequestReview",
    "mutation($id: ID!) { accountRequestReview(input: {requestId: $id, accept: true}) "
    f"{{ request {{ status }} {ERRORS} }} }}",
    a_submitted_request,
)
example(
    "Mutation.myAccountRequestFulfil",
    'mutation($id: ID!) { myAccountRequestFulfil(input: {requestId: $id, answer: "12 km"}) '
    f"{{ request {{ status }} {ERRORS} }} }}",
    a_request,
)


async def _turn_on(world, **switches):
    from models.account_features import OrganizationFeatures

    row, _ = await OrganizationFeatures.get_or_create(organization=world.organization)
    for name, value in switches.items():
        setattr(row, name, value)
    await row.save()


async def a_member_with_skills_on(world, caller):
    from models.account_features import MemberSkill

    await _turn_on(world, skills=True)
    _, link = await a_household(world)
    skill = await MemberSkill.create(
        organization=world.organization, contact_id=link.contact_id, name="Swim"
    )
    return {
        "link": ids.encode("AccountContact", link.id),
        "id": ids.encode("MemberSkill", skill.id),
    }


async def a_member_with_cards_on(world, caller):
    await _turn_on(world, membership_cards=True)
    _, link = await a_household(world)
    return {"link": ids.encode("AccountContact", link.id), "number": f"M-{next(_serial)}"}


example(
    "Query.organizationFeatures",
    "query($organizationId: ID!) { organizationFeatures(organizationId: $organizationId) "
    "{ skills membershipCards } }",
    organization_id,
)
example(
    "Mutation.organizationFeaturesUpdate",
    "mutation($organizationId: ID!) { organizationFeaturesUpdate(organizationId: "
    f"$organizationId, skills: true) {{ features {{ skills }} {ERRORS} }} }}",
    organization_id,
)
example(
    "Query.memberSkills",
    "query($link: ID!) { memberSkills(accountContactId: $link) { name } }",
    a_member_with_skills_on,
)
example(
    "Mutation.memberSkillAdd",
    'mutation($link: ID!) { memberSkillAdd(input: {accountContactId: $link, name: "Dive"}) '
    f"{{ skill {{ id }} {ERRORS} }} }}",
    a_member_with_skills_on,
)
example(
    "Mutation.memberSkillUpdate",
    'mutation($id: ID!) { memberSkillUpdate(input: {skillId: $id, level: "2"}) '
    f"{{ skill {{ id }} {ERRORS} }} }}",
    a_member_with_skills_on,
)
example(
    "Mutation.memberSkillReassign",
    "mutation($id: ID!, $link: ID!) { memberSkillReassign(input: {skillId: $id, "
    f"accountContactId: $link}}) {{ skill {{ id }} {ERRORS} }} }}",
    a_member_with_skills_on,
)
example(
    "Mutation.memberSkillRemove",
    "mutation($id: ID!) { memberSkillRemove(input: {skillId: $id}) "
    f"{{ removedSkillId {ERRORS} }} }}",
    a_member_with_skills_on,
)
example(
    "Query.membershipCards",
    "query($link: ID!) { membershipCards(accountContactId: $link) { number } }",
    a_member_with_cards_on,
)
example(
    "Mutation.membershipCardCreate",
    "mutation($link: ID!, $number: String!) { membershipCardCreate(input: {accountContactId: "
    '$link, number: $number, validFrom: "2026-01-01", validTo: "2026-12-31"}) '
    f"{{ card {{ id }} {ERRORS} }} }}",
    a_member_with_cards_on,
)
example(
    "Query.membershipCardVerify",
    'query { membershipCardVerify(code: "unknown") { valid firstName } }',
)


async def a_member_document(world, caller):
    from models.account_features import MemberDocument

    _, link = await a_household(world)
    document = await MemberDocument.create(
        organization=world.organization,
        contact_id=link.contact_id,
        name="rl24.pdf",
        content_type="application/pdf",
        size=5,
        storage_key=f"authz/member-{next(_serial)}.pdf",
    )
    return {
        "link": ids.encode("AccountContact", link.id),
        "id": ids.encode("MemberDocument", document.id),
    }


example(
    "Query.memberDocuments",
    "query($link: ID!) { memberDocuments(accountContactId: $link) { name } }",
    a_member_document,
)
# `file` as a plain string: a payload error once the permission let the call through.
example(
    "Mutation.memberDocumentUpload",
    "mutation($link: ID!) { memberDocumentUpload(input: {accountContactId: $link, "
    f'file: "%PDF-"}}) {{ document {{ id }} {ERRORS} }} }}',
    a_member_document,
)
example(
    "Mutation.memberDocumentDownloadLink",
    "mutation($id: ID!) { memberDocumentDownloadLink(input: {documentId: $id}) "
    f"{{ downloadUrl {ERRORS} }} }}",
    a_member_document,
)
