"""Relationship-matrix examples of the client-account fields (see tests/support/relationships.py).

Each item is made fresh per column by staff, assigned to the ASSIGNED contact except in
the ASSIGNED_NOT_ASSIGNED column."""

from __future__ import annotations

from tests.accounts.flows import MEMBER_ADD, MEMBER_REMOVE, MEMBER_UPDATE
from tests.accounts.test_document_links import LINK
from tests.accounts.test_forms import CREATE as FORM_CREATE
from tests.accounts.test_forms import SAVE, SIGN
from tests.accounts.test_items import (
    GROUP_CREATE,
    GROUP_DELETE,
    GROUP_UPDATE,
    MEMBERS_SET,
    PDF,
    UPLOAD,
)
from tests.accounts.test_member_documents import LINK as MEMBER_LINK
from tests.accounts.test_member_documents import UPLOAD as MEMBER_UPLOAD
from tests.accounts.test_requests import CREATE as REQUEST_CREATE
from tests.accounts.test_requests import FULFIL
from tests.accounts.test_tables import CREATE as TABLE_CREATE
from tests.accounts.test_tables import ROW_ADD, ROW_DELETE
from tests.support.relationships import relationship_example

ERRORS = "errors { code field message }"
CONSENT = f"""mutation($id: ID!) {{
  myAccountMemberConsentSet(input: {{accountContactId: $id, channel: SMS, status: EXPRESS}}) {{
    person {{ firstName }} {ERRORS} }} }}"""


async def staff(house, operation, variables, field, files=None, who=None):
    api = house.api.as_(who or house.world.agent)
    if files:
        result = await api.upload(operation, variables, files)
    else:
        result = await api.execute(operation, variables)
    return result.ok(field)


async def a_child(house, column):
    return {"id": house.links["child"]}


async def an_account(house, column):
    return {"account": house.account["id"], "name": f"Group {column}"}


async def a_group(house, column):
    made = await staff(house, GROUP_CREATE, await an_account(house, column), GROUP_CREATE_FIELD)
    group = made["accessGroup"]["id"]
    return {"id": group, "name": "Renamed", "links": [house.links["assigned"]]}


GROUP_CREATE_FIELD = "accountAccessGroupCreate"


async def a_file(house, column):
    return {
        "input": {"accountId": house.account["id"], "file": None},
        "__files__": {"input.file": ("receipt.pdf", PDF)},
    }


async def a_document(house, column):
    made = await staff(
        house,
        UPLOAD,
        {
            "input": {
                "accountId": house.account["id"],
                "file": None,
                "accessGroupIds": [],
                "accountContactIds": house.assigned_to(column),
            }
        },
        "accountDocumentUpload",
        {"input.file": ("receipt.pdf", PDF)},
    )
    return {"id": made["document"]["id"]}


async def a_form(house, column):
    made = await staff(
        house,
        FORM_CREATE,
        {
            "input": {
                "accountId": house.account["id"],
                "title": "Renewal",
                "questions": [{"label": "Note", "kind": "TEXT"}],
                "accountContactIds": house.assigned_to(column),
            }
        },
        "accountFormCreate",
    )
    form = made["form"]
    key = form["questions"][0]["key"]
    return {"id": form["id"], "answers": [{"questionKey": key, "value": "Hi"}], "name": "Me"}


async def a_table(house, column):
    made = await staff(
        house,
        TABLE_CREATE,
        {
            "input": {
                "accountId": house.account["id"],
                "name": "Vehicles",
                "columns": [{"label": "Make"}],
                "accountContactIds": house.assigned_to(column),
            }
        },
        "accountTableCreate",
    )
    return {"id": made["table"]["id"], "values": ["Volvo"]}


async def a_row(house, column):
    table = await a_table(house, column)
    added = await staff(house, ROW_ADD, table, "accountTableRowAdd")
    return {"id": added["table"]["rows"][0]["id"]}


async def a_request(house, column):
    made = await staff(
        house,
        REQUEST_CREATE,
        {
            "input": {
                "accountId": house.account["id"],
                "kind": "ANSWER",
                "title": "Licence number",
                "accountContactIds": house.assigned_to(column),
            }
        },
        "accountRequestCreate",
    )
    return {"input": {"requestId": made["request"]["id"], "answer": "42"}}


async def a_member_document(house, column):
    made = await staff(
        house,
        MEMBER_UPLOAD,
        {"input": {"accountContactId": house.links["child"], "file": None}},
        "memberDocumentUpload",
        {"input.file": ("tax.pdf", PDF)},
    )
    return {"id": made["document"]["id"]}


async def a_new_member(house, column):
    return {"input": {"accountId": house.account["id"], "member": {"firstName": column}}}


async def a_member_change(house, column):
    return {"input": {"accountContactId": house.links["child"], "firstName": column}}


async def a_member_to_remove(house, column):
    added = await staff(
        house,
        MEMBER_ADD,
        {"input": {"accountId": house.account["id"], "member": {"firstName": "Gone"}}},
        "clientAccountMemberAdd",
    )
    return {"id": added["accountContact"]["id"]}


relationship_example("Mutation.myAccountMemberConsentSet", CONSENT, a_child)
relationship_example("Mutation.accountAccessGroupCreate", GROUP_CREATE, an_account)
relationship_example("Mutation.accountAccessGroupUpdate", GROUP_UPDATE, a_group)
relationship_example("Mutation.accountAccessGroupDelete", GROUP_DELETE, a_group)
relationship_example("Mutation.accountAccessGroupMembersSet", MEMBERS_SET, a_group)
relationship_example(
    "Mutation.accountDocumentUpload",
    f"""mutation($input: AccountDocumentUploadInput!) {{
      accountDocumentUpload(input: $input) {{ document {{ id }} {ERRORS} }} }}""",
    a_file,
)
relationship_example("Mutation.accountDocumentDownloadLink", LINK, a_document)
relationship_example("Mutation.myAccountFormAnswersSave", SAVE, a_form)
relationship_example("Mutation.myAccountFormSign", SIGN, a_form)
relationship_example("Mutation.accountTableRowAdd", ROW_ADD, a_table)
relationship_example("Mutation.accountTableRowDelete", ROW_DELETE, a_row)
relationship_example("Mutation.myAccountRequestFulfil", FULFIL, a_request)
relationship_example("Mutation.memberDocumentDownloadLink", MEMBER_LINK, a_member_document)
relationship_example("Mutation.clientAccountMemberAdd", MEMBER_ADD, a_new_member)
relationship_example("Mutation.clientAccountMemberUpdate", MEMBER_UPDATE, a_member_change)
relationship_example("Mutation.clientAccountMemberRemove", MEMBER_REMOVE, a_member_to_remove)
