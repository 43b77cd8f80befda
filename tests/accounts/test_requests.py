"""Requests through the API: staff ask for an answer or a document by a due date, the
contacts who see the request fulfil it, staff accept or reject it with a reason."""

from __future__ import annotations

from datetime import date, timedelta

from models.account_requests import AccountRequest
from models.accounts import AccountDocument
from models.audit import AuditEvent
from tests.accounts.test_items import PDF, _documents_of, _household, _household_other

ERRORS = "errors { code field message }"
REQUEST = """request { id kind title status dueOn answer rejectionReason submittedAt
  document { name contentType } accountContactIds }"""
CREATE = f"""mutation($input: AccountRequestCreateInput!) {{
  accountRequestCreate(input: $input) {{ {REQUEST} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: AccountRequestUpdateInput!) {{
  accountRequestUpdate(input: $input) {{ {REQUEST} {ERRORS} }} }}"""
REVIEW = f"""mutation($id: ID!, $accept: Boolean!, $reason: String) {{
  accountRequestReview(input: {{requestId: $id, accept: $accept, reason: $reason}}) {{
    {REQUEST} {ERRORS} }} }}"""
FULFIL = f"""mutation($input: MyAccountRequestFulfilInput!) {{
  myAccountRequestFulfil(input: $input) {{ {REQUEST} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{ accountRequestDelete(input: {{requestId: $id}}) {{
  deletedRequestId account {{ requests {{ id }} }} {ERRORS} }} }}"""
MINE = "{ me { accounts { requests { title status } } } }"


async def _requests_of(api, who):
    result = await api.as_(who).execute(MINE)
    assert not result.errors, result.errors
    return [
        [(r["title"], r["status"]) for r in a["requests"]] for a in result.data["me"]["accounts"]
    ]


async def _ask(api, world, account, kind, title, due=None, links=()):
    made = await api.as_(world.agent).execute(
        CREATE,
        {
            "input": {
                "accountId": account["id"],
                "kind": kind,
                "title": title,
                "dueOn": due,
                "accountContactIds": list(links),
            }
        },
    )
    return made.ok("accountRequestCreate")["request"]


async def test_an_answer_is_submitted_rejected_resubmitted_and_accepted(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    request = await _ask(api, world, account, "ANSWER", "Mileage", yesterday, [links["assigned"]])
    assert request["status"] == "OVERDUE"
    assert await _requests_of(api, users["assigned"]) == [[("Mileage", "OVERDUE")]]
    assert await _requests_of(api, users["primary"]) == [[("Mileage", "OVERDUE")]]
    assert await _requests_of(api, users["other"]) == [[]]
    stranger, _, _ = await _household_other(api, world, password_hash)
    answer = {"input": {"requestId": request["id"], "answer": "12 000 km"}}
    for who in (users["other"], stranger, world.outsider):
        refused = await api.as_(who).execute(FULFIL, answer)
        assert refused.payload_codes("myAccountRequestFulfil") == ["NOT_FOUND"]
    assert (await api.as_(world.owner).execute(FULFIL, answer)).error_codes == ["FORBIDDEN"]
    empty = await api.as_(users["assigned"]).execute(
        FULFIL, {"input": {"requestId": request["id"], "answer": " "}}
    )
    assert empty.payload_codes("myAccountRequestFulfil") == ["REQUIRED"]
    done = await api.as_(users["assigned"]).execute(FULFIL, answer)
    got = done.ok("myAccountRequestFulfil")["request"]
    assert (got["status"], got["answer"]) == ("SUBMITTED", "12 000 km") and got["submittedAt"]
    twice = await api.as_(users["assigned"]).execute(FULFIL, answer, **{"accept-language": "fr"})
    [error] = twice.payload("myAccountRequestFulfil")["errors"]
    assert (
        error["code"] == "INVALID_STATE"
        and error["message"] == "Cette demande a déjà reçu une réponse."
    )
    no_reason = await api.as_(world.agent).execute(REVIEW, {"id": request["id"], "accept": False})
    assert [
        (e["code"], e["field"]) for e in no_reason.payload("accountRequestReview")["errors"]
    ] == [("REQUIRED", ["input", "reason"])]
    viewer = await api.as_(world.viewer).execute(REVIEW, {"id": request["id"], "accept": True})
    assert viewer.error_codes == ["FORBIDDEN"]
    rejected = await api.as_(world.agent).execute(
        REVIEW, {"id": request["id"], "accept": False, "reason": "In miles, please."}
    )
    got = rejected.ok("accountRequestReview")["request"]
    assert (got["status"], got["rejectionReason"]) == ("OVERDUE", "In miles, please.")
    later = (date.today() + timedelta(days=7)).isoformat()
    moved = await api.as_(world.agent).execute(
        UPDATE, {"input": {"requestId": request["id"], "dueOn": later}}
    )
    assert moved.ok("accountRequestUpdate")["request"]["status"] == "REJECTED"
    again = await api.as_(users["primary"]).execute(
        FULFIL, {"input": {"requestId": request["id"], "answer": "7 500 miles"}}
    )
    assert again.ok("myAccountRequestFulfil")["request"]["rejectionReason"] == ""
    accepted = await api.as_(world.agent).execute(REVIEW, {"id": request["id"], "accept": True})
    assert accepted.ok("accountRequestReview")["request"]["status"] == "ACCEPTED"
    late = await api.as_(world.agent).execute(
        REVIEW, {"id": request["id"], "accept": False, "reason": "x"}
    )
    assert late.payload_codes("accountRequestReview") == ["INVALID_STATE"]
    actions = await AuditEvent.filter(action__startswith="account_request.").values_list(
        "action", flat=True
    )
    assert sorted(set(actions)) == [
        "account_request.create",
        "account_request.review",
        "account_request.submit",
        "account_request.update",
    ]
    foreign = await api.as_(world.outsider).execute(DELETE, {"id": request["id"]})
    assert foreign.payload_codes("accountRequestDelete") == ["NOT_FOUND"]
    gone = await api.as_(world.agent).execute(DELETE, {"id": request["id"]})
    assert gone.ok("accountRequestDelete")["account"]["requests"] == []


async def test_a_document_request_is_fulfilled_by_an_upload(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    request = await _ask(api, world, account, "DOCUMENT", "Licence", links=[links["assigned"]])
    assert request["status"] == "OPEN"

    async def send(name, content):
        return await api.as_(users["assigned"]).upload(
            FULFIL,
            {"input": {"requestId": request["id"], "file": None}},
            {"input.file": (name, content)},
        )

    fake = await send("licence.pdf", b"MZ\x90\x00" + b"\0" * 20)
    assert fake.payload_codes("myAccountRequestFulfil") == ["INVALID"]
    assert await AccountDocument.all().count() == 0
    assert (await AccountRequest.get()).state.value == "OPEN"
    done = await send("licence.pdf", PDF)
    got = done.ok("myAccountRequestFulfil")["request"]
    assert got["status"] == "SUBMITTED"
    assert got["document"] == {"name": "licence.pdf", "contentType": "application/pdf"}
    # The document is the account's, seen by whom the request is assigned to.
    assert await _documents_of(api, users["assigned"]) == [["licence.pdf"]]
    assert await _documents_of(api, users["other"]) == [[]]
    # Without a file: REQUIRED on the file, as for any upload.
    other = await _ask(api, world, account, "DOCUMENT", "Proof", links=[links["assigned"]])
    missing = await api.as_(users["assigned"]).execute(
        FULFIL, {"input": {"requestId": other["id"]}}
    )
    assert [
        (e["code"], e["field"]) for e in missing.payload("myAccountRequestFulfil")["errors"]
    ] == [("REQUIRED", ["input", "file"])]
