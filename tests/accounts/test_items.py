"""Access groups and documents of a client account, through the API: staff manage them,
and each account contact's own user sees only the documents they may see."""

from __future__ import annotations

from models.accounts import AccessGroup, AccountDocument
from schema import ids
from tests.accounts.flows import MEMBER_ADD, create, holder
from tests.support.world import make_member

ERRORS = "errors { code field message }"
GROUP_CREATE = f"""mutation($account: ID!, $name: String!) {{
  accountAccessGroupCreate(input: {{accountId: $account, name: $name}}) {{
    accessGroup {{ id name accountContactIds }} {ERRORS} }} }}"""
GROUP_UPDATE = f"""mutation($id: ID!, $name: String!) {{
  accountAccessGroupUpdate(input: {{accessGroupId: $id, name: $name}}) {{
    accessGroup {{ id name }} {ERRORS} }} }}"""
GROUP_DELETE = f"""mutation($id: ID!) {{
  accountAccessGroupDelete(input: {{accessGroupId: $id}}) {{
    deletedAccessGroupId account {{ accessGroups {{ id }} }} {ERRORS} }} }}"""
MEMBERS_SET = f"""mutation($id: ID!, $links: [ID!]!) {{
  accountAccessGroupMembersSet(input: {{accessGroupId: $id, accountContactIds: $links}}) {{
    accessGroup {{ id accountContactIds }} {ERRORS} }} }}"""
UPLOAD = f"""mutation($input: AccountDocumentUploadInput!) {{
  accountDocumentUpload(input: $input) {{
    document {{ id name contentType size }} {ERRORS} }} }}"""
STAFF_DOCUMENTS = """query($id: ID!) { clientAccount(id: $id) {
  accessGroups { name accountContactIds } documents { name contentType } } }"""
MINE = "{ me { accounts { id role documents { name contentType size } } } }"

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def _files(settings) -> list[str]:
    root = settings.var_dir / "files"
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and "account-documents" in str(p))


async def upload(api, who, account_id, name, content, groups=(), links=(), **headers):
    return await api.as_(who).upload(
        UPLOAD,
        {
            "input": {
                "accountId": account_id,
                "file": None,
                "accessGroupIds": list(groups),
                "accountContactIds": list(links),
            }
        },
        {"input.file": (name, content)},
        **headers,
    )


async def _household(api, world, password_hash):
    """A primary with a login, a FULL, two ASSIGNED contacts with logins."""
    users = {
        role: await make_member(f"{role}@example.test", password_hash, None, None)
        for role in ("primary", "full", "assigned", "other")
    }
    account = await create(api, world, holder(email=users["primary"].user.email))
    links = {}
    for role, level in (("full", "FULL"), ("assigned", "ASSIGNED"), ("other", "ASSIGNED")):
        added = await api.as_(world.agent).execute(
            MEMBER_ADD,
            {
                "input": {
                    "accountId": account["id"],
                    "kind": "OTHER",
                    "accessLevel": level,
                    "member": {"firstName": role.title(), "email": users[role].user.email},
                }
            },
        )
        links[role] = added.ok("clientAccountMemberAdd")["accountContact"]["id"]
    return account, users, links


async def _documents_of(api, who) -> list[list[str]]:
    result = await api.as_(who).execute(MINE)
    assert not result.errors, result.errors
    return [sorted(d["name"] for d in a["documents"]) for a in result.data["me"]["accounts"]]


async def test_each_contact_sees_only_the_documents_they_may(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    group = (
        await api.as_(world.agent).execute(GROUP_CREATE, {"account": account["id"], "name": "Tax"})
    ).ok("accountAccessGroupCreate")["accessGroup"]
    members = await api.as_(world.agent).execute(
        MEMBERS_SET, {"id": group["id"], "links": [links["assigned"]]}
    )
    assert members.ok("accountAccessGroupMembersSet")["accessGroup"]["accountContactIds"] == [
        links["assigned"]
    ]
    to_group = await upload(
        api, world.agent, account["id"], "receipt.pdf", PDF, groups=[group["id"]]
    )
    assert to_group.ok("accountDocumentUpload")["document"] == {
        "id": to_group.data["accountDocumentUpload"]["document"]["id"],
        "name": "receipt.pdf",
        "contentType": "application/pdf",
        "size": len(PDF),
    }
    (await upload(api, world.agent, account["id"], "card.png", PNG, links=[links["other"]])).ok(
        "accountDocumentUpload"
    )
    (await upload(api, world.agent, account["id"], "photo.jpg", JPEG)).ok("accountDocumentUpload")
    everything = ["card.png", "photo.jpg", "receipt.pdf"]
    from models.audit import AuditEvent

    assert await AuditEvent.filter(action="account_document.upload").count() == 3
    assert await _documents_of(api, users["primary"]) == [everything]
    assert await _documents_of(api, users["full"]) == [everything]
    assert await _documents_of(api, users["assigned"]) == [["receipt.pdf"]]
    assert await _documents_of(api, users["other"]) == [["card.png"]]
    # A contact of another account sees none of them.
    stranger, _, _ = await _household_other(api, world, password_hash)
    assert await _documents_of(api, stranger) == [[]]
    # Staff see all of them, and the groups.
    staff = await api.as_(world.viewer).execute(STAFF_DOCUMENTS, {"id": account["id"]})
    assert not staff.errors, staff.errors
    assert sorted(d["name"] for d in staff.data["clientAccount"]["documents"]) == everything
    assert staff.data["clientAccount"]["accessGroups"] == [
        {"name": "Tax", "accountContactIds": [links["assigned"]]}
    ]
    # Another organization's staff: NOT_FOUND, for reading and for uploading.
    foreign = await api.as_(world.outsider).execute(STAFF_DOCUMENTS, {"id": account["id"]})
    assert foreign.error_codes == ["NOT_FOUND"]
    foreign_upload = await upload(api, world.outsider, account["id"], "x.pdf", PDF)
    assert "NOT_FOUND" in (
        foreign_upload.error_codes or foreign_upload.payload_codes("accountDocumentUpload")
    )
    # Taking the contact out of the group takes the document away.
    await api.as_(world.agent).execute(MEMBERS_SET, {"id": group["id"], "links": []})
    assert await _documents_of(api, users["assigned"]) == [[]]


async def _household_other(api, world, password_hash):
    user = await make_member("stranger@example.test", password_hash, None, None)
    account = await create(
        api, world, holder(firstName="Paul", lastName="Roy", email=user.user.email)
    )
    return user, account, None


async def test_oversize_and_disallowed_files_write_and_store_nothing(
    api, world, settings, monkeypatch
):
    account = await create(api, world)
    files_before = _files(settings)
    monkeypatch.setattr(settings, "account_document_max_bytes", 1024)
    big = await upload(api, world.agent, account["id"], "big.pdf", PDF + b"\x00" * 2000)
    [error] = big.payload("accountDocumentUpload")["errors"]
    assert (error["code"], error["field"]) == ("TOO_LONG", ["input", "file"])
    assert "at most 1 MB" in error["message"]
    big_fr = await upload(
        api,
        world.agent,
        account["id"],
        "big.pdf",
        PDF + b"\x00" * 2000,
        **{"accept-language": "fr"},
    )
    [error] = big_fr.payload("accountDocumentUpload")["errors"]
    assert error["message"] == "Le document est trop volumineux : 1 Mo au plus."
    # Named .pdf, but an executable inside: refused by its content.
    fake = await upload(
        api,
        world.agent,
        account["id"],
        "invoice.pdf",
        b"MZ\x90\x00" + b"\x00" * 50,
        **{"accept-language": "fr"},
    )
    [error] = fake.payload("accountDocumentUpload")["errors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "file"])
    assert "PDF, PNG" in error["message"] and "Only" not in error["message"]
    assert await AccountDocument.all().count() == 0
    assert _files(settings) == files_before


async def test_access_groups_are_named_once_per_account_and_deleted(api, world):
    account = await create(api, world)
    other = await create(api, world, holder(firstName="Paul", lastName="Roy"))
    made = (
        await api.as_(world.agent).execute(GROUP_CREATE, {"account": account["id"], "name": "Tax"})
    ).ok("accountAccessGroupCreate")["accessGroup"]
    twice = await api.as_(world.agent).execute(
        GROUP_CREATE, {"account": account["id"], "name": "Tax"}
    )
    assert twice.payload_codes("accountAccessGroupCreate") == ["ALREADY_EXISTS"]
    renamed = await api.as_(world.agent).execute(GROUP_UPDATE, {"id": made["id"], "name": "Taxes"})
    assert renamed.ok("accountAccessGroupUpdate")["accessGroup"]["name"] == "Taxes"
    # A contact of another account cannot join the group.
    stranger = other["contacts"][0]["id"]
    wrong = await api.as_(world.agent).execute(MEMBERS_SET, {"id": made["id"], "links": [stranger]})
    [error] = wrong.payload("accountAccessGroupMembersSet")["errors"]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["input", "accountContactIds", 0])
    # A viewer cannot manage groups.
    viewer = await api.as_(world.viewer).execute(GROUP_DELETE, {"id": made["id"]})
    assert viewer.error_codes == ["FORBIDDEN"]
    gone = await api.as_(world.agent).execute(GROUP_DELETE, {"id": made["id"]})
    assert gone.ok("accountAccessGroupDelete")["account"]["accessGroups"] == []
    assert await AccessGroup.all().count() == 0


async def test_the_primary_manages_access_groups_other_contacts_do_not(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    made = await api.as_(users["primary"]).execute(
        GROUP_CREATE, {"account": account["id"], "name": "Co-parents"}
    )
    group = made.ok("accountAccessGroupCreate")["accessGroup"]
    members = await api.as_(users["primary"]).execute(
        MEMBERS_SET, {"id": group["id"], "links": [links["assigned"]]}
    )
    assert members.ok("accountAccessGroupMembersSet")["accessGroup"]["accountContactIds"] == [
        links["assigned"]
    ]
    renamed = await api.as_(users["primary"]).execute(
        GROUP_UPDATE, {"id": group["id"], "name": "Parents"}
    )
    assert renamed.ok("accountAccessGroupUpdate")["accessGroup"]["name"] == "Parents"
    # A FULL contact, an ASSIGNED one and another account's primary cannot.
    stranger, _, _ = await _household_other(api, world, password_hash)
    for who in (users["full"], users["assigned"], stranger):
        refused = await api.as_(who).execute(GROUP_DELETE, {"id": group["id"]})
        assert refused.payload_codes("accountAccessGroupDelete") == ["NOT_FOUND"]
        refused = await api.as_(who).execute(
            GROUP_CREATE, {"account": account["id"], "name": "Mine"}
        )
        assert refused.payload_codes("accountAccessGroupCreate") == ["NOT_FOUND"]
    assert [g.name for g in await AccessGroup.all()] == ["Parents"]
    gone = await api.as_(users["primary"]).execute(GROUP_DELETE, {"id": group["id"]})
    assert gone.ok("accountAccessGroupDelete")["deletedAccessGroupId"] == group["id"]


async def test_an_assigned_contact_in_more_accounts_costs_no_more_statements(
    api, world, password_hash
):
    from carnet.statements import count_statements
    from models.contacts import Contact

    user = await make_member("helper@example.test", password_hash, None, None)

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
        (await upload(api, world.agent, account["id"], f"mine{n}.pdf", PDF, links=[link])).ok(
            "accountDocumentUpload"
        )
        (await upload(api, world.agent, account["id"], f"not{n}.pdf", PDF)).ok(
            "accountDocumentUpload"
        )

    await one_more_household(0)
    with count_statements() as few:
        assert await _documents_of(api, user) == [["mine0.pdf"]]
    for n in (1, 2, 3):
        await one_more_household(n)
    with count_statements() as many:
        assert sorted(await _documents_of(api, user)) == [[f"mine{n}.pdf"] for n in range(4)]
    assert len(few) == len(many)


async def test_the_primary_uploads_a_document_within_their_own_account(
    api, world, password_hash, settings, monkeypatch
):
    account, users, links = await _household(api, world, password_hash)
    stranger, other, _ = await _household_other(api, world, password_hash)
    made = await api.as_(users["primary"]).execute(
        GROUP_CREATE, {"account": account["id"], "name": "Parents"}
    )
    group = made.ok("accountAccessGroupCreate")["accessGroup"]
    await api.as_(users["primary"]).execute(
        MEMBERS_SET, {"id": group["id"], "links": [links["assigned"]]}
    )
    mine = await upload(
        api, users["primary"], account["id"], "vaccines.pdf", PDF, groups=[group["id"]]
    )
    assert mine.ok("accountDocumentUpload")["document"]["contentType"] == "application/pdf"
    assert await _documents_of(api, users["assigned"]) == [["vaccines.pdf"]]
    assert await _documents_of(api, users["other"]) == [[]]
    # Assigned only within their own account: another account's contact is not found.
    elsewhere = other["contacts"][0]["id"]
    wrong = await upload(api, users["primary"], account["id"], "x.pdf", PDF, links=[elsewhere])
    assert "NOT_FOUND" in (wrong.error_codes or wrong.payload_codes("accountDocumentUpload"))
    # Same checks as staff: content by its bytes, size limit.
    fake = await upload(api, users["primary"], account["id"], "a.pdf", b"MZ\x90\x00" + b"\0" * 9)
    assert fake.payload_codes("accountDocumentUpload") == ["INVALID"]
    monkeypatch.setattr(settings, "account_document_max_bytes", 1024)
    big = await upload(api, users["primary"], account["id"], "b.pdf", PDF + b"\0" * 2000)
    assert big.payload_codes("accountDocumentUpload") == ["TOO_LONG"]
    # Neither a FULL nor an ASSIGNED contact, nor another account's primary, may upload here.
    for who in (users["full"], users["assigned"], stranger):
        refused = await upload(api, who, account["id"], "c.pdf", PDF)
        assert refused.payload_codes("accountDocumentUpload") == ["NOT_FOUND"]
    # Nor into another account.
    into_other = await upload(api, users["primary"], other["id"], "d.pdf", PDF)
    assert into_other.payload_codes("accountDocumentUpload") == ["NOT_FOUND"]
    assert [d.name for d in await AccountDocument.all()] == ["vaccines.pdf"]
