"""Documents of one member (a yearly tax receipt, say): uploaded by staff, checked like
account documents, seen by staff and by the primaries of every account the member belongs
to (a child of two households: both primaries). Downloaded through a signed single-use
link, like account documents, at /member-documents/{token}.
"""

from __future__ import annotations

from collections import defaultdict

from carnet.settings import Settings
from carnet.storage import current_storage, new_key
from models.account_features import MemberDocument
from models.accounts import AccountContact, ClientAccount
from models.identity import User
from resolvers.accounts.forms import record
from resolvers.accounts.items import checked_file, sniff
from resolvers.common import audit, downloads
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import NotFound
from resolvers.common.permissions import Relationship
from resolvers.common.relationships import register
from resolvers.common.tasks import unit_of_work

FILE_KIND = "member-documents"
LINK_PURPOSE = "member-document"
LINK_ROUTE = "member-documents"


async def upload(actor, link_id: int, file, name: str | None, max_bytes: int) -> MemberDocument:
    data, name = await checked_file(file, name, max_bytes)
    content_type, extension = sniff(data)
    key = new_key(actor.organization_id, FILE_KIND, extension)
    async with current_storage().stored(key, data), unit_of_work():
        link = await AccountContact.get_or_none(
            id=link_id, account__organization_id=actor.organization_id
        )
        if link is None:
            raise NotFound(("input", "account_contact_id"))
        document = await MemberDocument.create(
            organization_id=actor.organization_id,
            contact_id=link.contact_id,
            name=name,
            content_type=content_type,
            size=len(data),
            storage_key=key,
            uploaded_by=actor.user,
        )
        await record(
            actor,
            "member_document.upload",
            ("MemberDocument", document.id),
            after={"name": name, "size": len(data), "content_type": content_type},
        )
    return document


async def of_member(actor, link_id: int) -> list[MemberDocument]:
    link = await AccountContact.get_or_none(
        id=link_id, account__organization_id=actor.organization_id
    )
    if link is None:
        raise NotFound(("account_contact_id",))
    return await MemberDocument.filter(
        organization_id=actor.organization_id, contact_id=link.contact_id
    ).order_by("-id")


async def of_households(links: list[AccountContact]) -> list[list[MemberDocument]]:
    """For each of a user's account links: the documents of that account's members when
    they are its primary (nothing otherwise)."""
    primary = [x.account_id for x in links if x.contact_id == x.account.primary_contact_id]
    members = await AccountContact.filter(account_id__in=primary).values_list(
        "account_id", "contact_id"
    )
    contacts = {c for _, c in members}
    found: dict[int, list] = defaultdict(list)
    documents = (
        await MemberDocument.filter(contact_id__in=list(contacts)).order_by("-id")
        if contacts
        else []
    )
    for account_id, contact_id in members:
        found[account_id].extend(d for d in documents if d.contact_id == contact_id)
    return [sorted(found[x.account_id], key=lambda d: -d.id) for x in links]


async def _primary_of_member(user: User, document: MemberDocument) -> bool:
    """The user is the primary of an account the document's member belongs to."""
    accounts = AccountContact.filter(contact_id=document.contact_id).values_list(
        "account_id", flat=True
    )
    return await ClientAccount.filter(
        id__in=list(await accounts), primary_contact__user_id=user.id
    ).exists()


register(Relationship.ACCOUNT_PRIMARY, MemberDocument, _primary_of_member)


async def issue_link(caller, document_id: int, settings: Settings) -> downloads.DownloadLink:
    """A signed, single-use download link, by the account documents' rules. Audited."""
    document = await MemberDocument.get_or_none(
        id=document_id, organization_id=caller.organization_id
    )
    if document is None:
        raise NotFound(("input", "document_id"))
    link = downloads.signed_link(settings, LINK_PURPOSE, LINK_ROUTE, document.id)
    await record(
        caller,
        "member_document.link",
        ("MemberDocument", document.id),
        after={"expires_at": link.expires_at.isoformat()},
    )
    return link


async def download(token: str, meta: RequestMeta) -> downloads.Download:
    pk, expires_at = downloads.verify(LINK_PURPOSE, token)
    document = await MemberDocument.get_or_none(id=pk)
    if document is None:
        raise downloads.expired()
    found = await downloads.serve_once(
        token, expires_at, document.storage_key, document.name, document.content_type
    )
    await audit.record(
        "member_document.download",
        actor=None,
        meta=meta,
        organization_id=document.organization_id,
        target=("MemberDocument", document.id),
        after={"size": found.size},
    )
    return found


async def put_generated(
    organization_id: int,
    contact_id: int,
    key: str,
    name: str,
    data: bytes,
    content_type: str,
) -> MemberDocument:
    """A document the application makes (a yearly tax receipt), under a key chosen by its
    maker: writing the same key again replaces the file and its row, so a rerun makes no
    duplicate. Joins the caller's unit of work."""
    storage = current_storage()
    async with unit_of_work():
        document = await MemberDocument.filter(
            organization_id=organization_id, storage_key=key
        ).first()
        if document is not None:
            await storage.put(key, data)
            document.name, document.size, document.content_type = name, len(data), content_type
            await document.save(update_fields=["name", "size", "content_type", "updated_at"])
            return document
        async with storage.stored(key, data):
            return await MemberDocument.create(
                organization_id=organization_id,
                contact_id=contact_id,
                name=name,
                content_type=content_type,
                size=len(data),
                storage_key=key,
            )
