"""Tables of a client account through the API: staff define the columns, the contacts who
see a table add rows, and a signed form's TABLE question fills it."""

from __future__ import annotations

from models.account_forms import AccountTableRow
from tests.accounts.test_forms import CREATE as FORM_CREATE
from tests.accounts.test_forms import SAVE, SIGN
from tests.accounts.test_items import _household, _household_other

ERRORS = "errors { code field message }"
TABLE = "table { id name columns { key label } rows { id values fromForm } accountContactIds }"
CREATE = f"""mutation($input: AccountTableCreateInput!) {{
  accountTableCreate(input: $input) {{ {TABLE} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: AccountTableUpdateInput!) {{
  accountTableUpdate(input: $input) {{ {TABLE} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{ accountTableDelete(input: {{tableId: $id}}) {{
  deletedTableId account {{ tables {{ id }} }} {ERRORS} }} }}"""
ROW_ADD = f"""mutation($id: ID!, $values: [String!]!) {{
  accountTableRowAdd(input: {{tableId: $id, values: $values}}) {{ {TABLE} {ERRORS} }} }}"""
ROW_DELETE = f"""mutation($id: ID!) {{
  accountTableRowDelete(input: {{rowId: $id}}) {{ {TABLE} {ERRORS} }} }}"""
MINE = "{ me { accounts { tables { name rows { values } } } } }"


async def _tables_of(api, who):
    result = await api.as_(who).execute(MINE)
    assert not result.errors, result.errors
    return [
        [(t["name"], [r["values"] for r in t["rows"]]) for t in a["tables"]]
        for a in result.data["me"]["accounts"]
    ]


async def _vehicles(api, world, account, links=()):
    made = await api.as_(world.agent).execute(
        CREATE,
        {
            "input": {
                "accountId": account["id"],
                "name": "Vehicles",
                "columns": [{"label": "Make"}, {"label": "Plate"}],
                "accountContactIds": list(links),
            }
        },
    )
    return made.ok("accountTableCreate")["table"]


async def test_rows_are_added_by_those_who_see_the_table(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    table = await _vehicles(api, world, account, [links["assigned"]])
    assert table["columns"] == [{"key": "c1", "label": "Make"}, {"key": "c2", "label": "Plate"}]
    added = await api.as_(users["assigned"]).execute(
        ROW_ADD, {"id": table["id"], "values": ["Volvo", "ABC 123"]}
    )
    assert [r["values"] for r in added.ok("accountTableRowAdd")["table"]["rows"]] == [
        ["Volvo", "ABC 123"]
    ]
    (
        await api.as_(users["primary"]).execute(ROW_ADD, {"id": table["id"], "values": ["Kia", ""]})
    ).ok("accountTableRowAdd")
    rows = [["Volvo", "ABC 123"], ["Kia", ""]]
    assert await _tables_of(api, users["full"]) == [[("Vehicles", rows)]]
    assert await _tables_of(api, users["assigned"]) == [[("Vehicles", rows)]]
    assert await _tables_of(api, users["other"]) == [[]]
    # Not assigned, another account's contact, another organization: NOT_FOUND; a viewer
    # may not write: FORBIDDEN. Nothing added.
    stranger, _, _ = await _household_other(api, world, password_hash)
    for who in (users["other"], stranger, world.outsider):
        refused = await api.as_(who).execute(ROW_ADD, {"id": table["id"], "values": ["X", "Y"]})
        assert refused.payload_codes("accountTableRowAdd") == ["NOT_FOUND"]
    viewer = await api.as_(world.viewer).execute(ROW_ADD, {"id": table["id"], "values": ["X", "Y"]})
    assert viewer.error_codes == ["FORBIDDEN"]
    wrong = await api.as_(users["assigned"]).execute(
        ROW_ADD, {"id": table["id"], "values": ["only one"]}, **{"accept-language": "fr"}
    )
    [error] = wrong.payload("accountTableRowAdd")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "values"])
    assert error["message"] == "Indiquez une valeur par colonne (2)."
    assert await AccountTableRow.all().count() == 2
    # Columns redefined: a kept key keeps its values; a new column is empty.
    redefined = await api.as_(world.agent).execute(
        UPDATE,
        {
            "input": {
                "tableId": table["id"],
                "columns": [{"key": "c2", "label": "Plate"}, {"label": "Year"}],
            }
        },
    )
    table = redefined.ok("accountTableUpdate")["table"]
    assert [r["values"] for r in table["rows"]] == [["ABC 123", ""], ["", ""]]
    first = table["rows"][0]["id"]
    removed = await api.as_(users["assigned"]).execute(ROW_DELETE, {"id": first})
    assert len(removed.ok("accountTableRowDelete")["table"]["rows"]) == 1
    foreign = await api.as_(world.outsider).execute(DELETE, {"id": table["id"]})
    assert foreign.payload_codes("accountTableDelete") == ["NOT_FOUND"]
    gone = await api.as_(world.agent).execute(DELETE, {"id": table["id"]})
    assert gone.ok("accountTableDelete")["account"]["tables"] == []


async def test_a_signed_forms_table_question_adds_its_rows(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    table = await _vehicles(api, world, account)
    form = (
        await api.as_(world.agent).execute(
            FORM_CREATE,
            {
                "input": {
                    "accountId": account["id"],
                    "title": "Fleet",
                    "questions": [
                        {"label": "Your vehicles", "kind": "TABLE", "tableId": table["id"]}
                    ],
                }
            },
        )
    ).ok("accountFormCreate")["form"]
    primary = api.as_(users["primary"])
    bad = await primary.execute(
        SAVE, {"id": form["id"], "answers": [{"questionKey": "q1", "rows": [["Volvo"]]}]}
    )
    assert [(e["code"], e["field"]) for e in bad.payload("myAccountFormAnswersSave")["errors"]] == [
        ("INVALID", ["input", "answers", 0, "rows", 0])
    ]
    rows = [["Volvo", "ABC 123"], ["Kia", "XYZ 9"]]
    saved = await primary.execute(
        SAVE, {"id": form["id"], "answers": [{"questionKey": "q1", "rows": rows}]}
    )
    saved.ok("myAccountFormAnswersSave")
    assert await AccountTableRow.all().count() == 0  # drafts add nothing
    (await primary.execute(SIGN, {"id": form["id"], "name": "Marie Tremblay"})).ok(
        "myAccountFormSign"
    )
    assert await _tables_of(api, users["primary"]) == [[("Vehicles", rows)]]
    assert all(r.response_id for r in await AccountTableRow.all())
    # A form's TABLE question names a table of the same account.
    other_account = (await _household_other(api, world, password_hash))[1]
    other_table = await _vehicles(api, world, other_account)
    wrong = await api.as_(world.agent).execute(
        FORM_CREATE,
        {
            "input": {
                "accountId": account["id"],
                "title": "Fleet",
                "questions": [{"label": "V", "kind": "TABLE", "tableId": other_table["id"]}],
            }
        },
    )
    assert [(e["code"], e["field"]) for e in wrong.payload("accountFormCreate")["errors"]] == [
        ("NOT_FOUND", ["input", "questions", 0, "tableId"])
    ]
