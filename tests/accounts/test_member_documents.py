"""Documents of one member (tax receipts) through the API: staff upload them; the
primaries of each household the member belongs to see them and download them; nobody
else does."""

from __future__ import annotations

from urllib.parse import urlsplit

from models.account_features import MemberDocument
from tests.accounts.flows import MEMBER_ADD, create, holder, years_ago
from tests.accounts.test_items import PDF
from tests.support.world import make_member

ERRORS = "errors { code field message }"
UPLOAD = f"""mutation($input: MemberDocumentUploadInput!) {{
  memberDocumentUpload(input: $input) {{
    document {{ id name contentType member {{ firstName }} }} {ERRORS} }} }}"""
LINK = f"""mutation($id: ID!) {{ memberDocumentDownloadLink(input: {{documentId: $id}}) {{
  downloadUrl {ERRORS} }} }}"""
STAFF = "query($id: ID!) { memberDocuments(accountContactId: $id) { name } }"
MINE = "{ me { accounts { name memberDocuments { id name member { firstName } } } } }"


def path_of(url: str) -> str:
    return urlsplit(url).path


async def _upload(api, who, link, name, content):
    return await api.as_(who).upload(
        UPLOAD,
        {"input": {"accountContactId": link, "file": None}},
        {"input.file": (name, content)},
    )


async def _two_households(api, world, password_hash):
    users = {
        who: await make_member(f"{who}@example.test", password_hash, None, None)
        for who in ("mother", "father", "full", "stranger")
    }
    mother = await create(
        api,
        world,
        holder(email="mother@example.test"),
        [{"firstName": "Léa", "birthDate": years_ago(8)}],
    )
    child = next(c for c in mother["contacts"] if c["contact"]["firstName"] == "Léa")
    father = await create(
        api, world, holder(firstName="Paul", lastName="Roy", email="father@example.test")
    )
    for account, member, level in (
        (father, {"useExistingContactId": child["contact"]["id"]}, None),
        (mother, {"firstName": "Full", "email": "full@example.test"}, "FULL"),
    ):
        extra = {"kind": "OTHER", "accessLevel": level} if level else {}
        added = await api.as_(world.agent).execute(
            MEMBER_ADD, {"input": {"accountId": account["id"], "member": member, **extra}}
        )
        added.ok("clientAccountMemberAdd")
    await create(
        api, world, holder(firstName="Sam", lastName="Else", email="stranger@example.test")
    )
    return users, child["id"]


async def _seen(api, who):
    result = await api.as_(who).execute(MINE)
    assert not result.errors, result.errors
    return [
        (a["name"], [(d["name"], d["member"]["firstName"]) for d in a["memberDocuments"]])
        for a in result.data["me"]["accounts"]
    ]


async def test_both_primaries_see_a_childs_tax_receipt(api, client, world, password_hash):
    users, child = await _two_households(api, world, password_hash)
    made = await _upload(api, world.agent, child, "rl24-2026.pdf", PDF)
    document = made.ok("memberDocumentUpload")["document"]
    assert (document["contentType"], document["member"]["firstName"]) == ("application/pdf", "Léa")
    receipt = [("rl24-2026.pdf", "Léa")]
    assert await _seen(api, users["mother"]) == [("Tremblay", receipt)]
    assert await _seen(api, users["father"]) == [("Roy", receipt)]
    assert await _seen(api, users["full"]) == [("Tremblay", [])]
    assert await _seen(api, users["stranger"]) == [("Else", [])]
    staff = await api.as_(world.viewer).execute(STAFF, {"id": child})
    assert staff.data["memberDocuments"] == [{"name": "rl24-2026.pdf"}]
    assert (await api.as_(world.outsider).execute(STAFF, {"id": child})).error_codes == [
        "NOT_FOUND"
    ]
    # Download links: each primary and staff; the FULL contact and strangers: NOT_FOUND.
    for who in (users["father"], users["mother"], world.viewer):
        url = (await api.as_(who).execute(LINK, {"id": document["id"]})).ok(
            "memberDocumentDownloadLink"
        )["downloadUrl"]
        fetched = await client.get(path_of(url))
        assert fetched.status_code == 200 and fetched.content == PDF
    for who in (users["full"], users["stranger"], world.outsider):
        refused = await api.as_(who).execute(LINK, {"id": document["id"]})
        assert refused.payload_codes("memberDocumentDownloadLink") == ["NOT_FOUND"]


async def test_uploads_are_checked_and_staff_only(api, world, password_hash):
    users, child = await _two_households(api, world, password_hash)
    fake = await _upload(api, world.agent, child, "receipt.pdf", b"MZ\x90\x00" + b"\0" * 9)
    assert fake.payload_codes("memberDocumentUpload") == ["INVALID"]
    viewer = await _upload(api, world.viewer, child, "receipt.pdf", PDF)
    assert viewer.error_codes == ["FORBIDDEN"]
    primary = await _upload(api, users["mother"], child, "receipt.pdf", PDF)
    assert primary.payload_codes("memberDocumentUpload") == ["NOT_FOUND"]
    foreign = await _upload(api, world.outsider, child, "receipt.pdf", PDF)
    assert foreign.payload_codes("memberDocumentUpload") == ["NOT_FOUND"]
    assert await MemberDocument.all().count() == 0
