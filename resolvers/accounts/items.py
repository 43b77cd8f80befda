"""Access groups and documents of a client account (seed 004).

An access group is a named group of one account's contacts. A document is a file kept in
storage (PDF, PNG or JPEG, recognized by its content, never by its name), assigned to
access groups and to individual account contacts. The primary and FULL contacts see all
of the account's documents; an ASSIGNED contact only those assigned to them or to one of
their groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import current_storage, new_key
from models.accounts import (
    AccessGroup,
    AccessGroupMember,
    AccountContact,
    AccountDocument,
    AccountDocumentShare,
)
from models.identity import User
from resolvers.accounts import visibility
from resolvers.accounts.accounts import locked_account
from resolvers.common import audit, downloads
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector, NotFound, UserErrorCode
from resolvers.common.tasks import unit_of_work
from resolvers.common.validation import clean_text

GROUP_NAME_MAX = 100
DOCUMENT_NAME_MAX = 200
FILE_KIND = "account-documents"
FILE = ("input", "file")
# The content types accepted, by the bytes a file starts with.
_MAGIC = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


class Caller(Protocol):
    """Who manages access groups: staff (an Actor) or the account's primary (a
    Principal); both name the user, the request and the organization."""

    user: User
    meta: RequestMeta
    organization_id: int | None


class UploadedFile(Protocol):
    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a PDF, PNG or JPEG file; None for anything else."""
    for magic, content_type, extension in _MAGIC:
        if data.startswith(magic):
            return content_type, extension
    return None


async def _audit(actor: Caller, action: str, target: tuple[str, int], **values) -> None:
    await audit.record(
        action,
        actor=actor.user,
        meta=actor.meta,
        organization_id=actor.organization_id,
        target=target,
        **values,
    )


async def _locked_group(actor: Caller, group_id: int) -> AccessGroup:
    group = (
        await AccessGroup.filter(id=group_id, account__organization_id=actor.organization_id)
        .select_for_update()
        .first()
    )
    if group is None:
        raise NotFound(("input", "access_group_id"))
    return group


async def _name_taken(account_id: int, name: str, but: int | None = None) -> bool:
    rows = AccessGroup.filter(account_id=account_id, name=name)
    if but is not None:
        rows = rows.exclude(id=but)
    return await rows.exists()


def _duplicate(errors: ErrorCollector) -> None:
    errors.add(
        UserErrorCode.ALREADY_EXISTS,
        ("input", "name"),
        N_("This account already has an access group with this name."),
    )


async def group_create(actor: Caller, account_id: int, name: str | None) -> AccessGroup:
    errors = ErrorCollector()
    name = clean_text(name, errors, ("input", "name"), max_length=GROUP_NAME_MAX, required=True)
    errors.raise_if_any()  # the name is looked up below: only a valid one
    async with unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        if await _name_taken(account.id, name):
            _duplicate(errors)
        errors.raise_if_any()
        group = await AccessGroup.create(account_id=account.id, name=name)
        await _audit(
            actor, "account_access_group.create", ("AccessGroup", group.id), after={"name": name}
        )
    return group


async def group_update(actor: Caller, group_id: int, name: str | None) -> AccessGroup:
    errors = ErrorCollector()
    name = clean_text(name, errors, ("input", "name"), max_length=GROUP_NAME_MAX, required=True)
    errors.raise_if_any()  # the name is looked up below: only a valid one
    async with unit_of_work():
        group = await _locked_group(actor, group_id)
        if await _name_taken(group.account_id, name, but=group.id):
            _duplicate(errors)
        errors.raise_if_any()
        before = group.name
        group.name = name
        await group.save(update_fields=["name", "updated_at"])
        await _audit(
            actor,
            "account_access_group.update",
            ("AccessGroup", group.id),
            before={"name": before},
            after={"name": name},
        )
    return group


async def group_delete(actor: Caller, group_id: int) -> int:
    async with unit_of_work():
        group = await _locked_group(actor, group_id)
        await group.delete()
        await _audit(
            actor,
            "account_access_group.delete",
            ("AccessGroup", group_id),
            before={"name": group.name},
        )
    return group.account_id


async def group_members_set(actor: Caller, group_id: int, link_ids: Sequence[int]) -> AccessGroup:
    async with unit_of_work():
        group = await _locked_group(actor, group_id)
        wanted = await visibility.account_links(
            group.account_id, link_ids, ("input", "account_contact_ids")
        )
        had = set(
            await AccessGroupMember.filter(group_id=group.id).values_list(
                "account_contact_id", flat=True
            )
        )
        await AccessGroupMember.filter(
            group_id=group.id, account_contact_id__in=list(had - set(wanted))
        ).delete()
        await AccessGroupMember.bulk_create(
            [
                AccessGroupMember(group_id=group.id, account_contact_id=pk)
                for pk in wanted
                if pk not in had
            ]
        )
        await _audit(
            actor,
            "account_access_group.members_set",
            ("AccessGroup", group.id),
            before={"account_contact_ids": sorted(had)},
            after={"account_contact_ids": sorted(wanted)},
        )
    return group


async def checked_file(
    file: UploadedFile | None, name: str | None, max_bytes: int
) -> tuple[bytes, str]:
    """The file's bytes and the document's name, once the file is there, within
    `max_bytes` and a PDF, PNG or JPEG by its content; else UserErrors."""
    errors = ErrorCollector()
    data = b""
    if file is None or not callable(getattr(file, "read", None)):
        errors.add(UserErrorCode.REQUIRED, FILE, N_("Attach the document."))
    else:
        data = await file.read(max_bytes + 1)
        if len(data) > max_bytes:
            errors.add(
                UserErrorCode.TOO_LONG,
                FILE,
                N_("The document is too large: at most {max} MB."),
                max=max(max_bytes // (1024 * 1024), 1),
            )
        elif sniff(data) is None:
            errors.add(
                UserErrorCode.INVALID,
                FILE,
                N_("Only PDF, PNG and JPEG documents are accepted."),
            )
    given = name
    if not given:  # the file's own name, without its folders, cut to length
        given = (getattr(file, "filename", None) or "").replace("\\", "/").rsplit("/", 1)[-1]
        given = given[:DOCUMENT_NAME_MAX]
    name = clean_text(given, errors, ("input", "name"), max_length=DOCUMENT_NAME_MAX, required=True)
    errors.raise_if_any()
    return data, name


async def upload(
    actor: Caller,
    account_id: int,
    file: UploadedFile | None,
    name: str | None,
    group_ids: Sequence[int],
    link_ids: Sequence[int],
    max_bytes: int,
) -> AccountDocument:
    """Checks the file (size, then content) before anything is written or stored."""
    data, name = await checked_file(file, name, max_bytes)
    content_type, extension = sniff(data)
    key = new_key(actor.organization_id, FILE_KIND, extension)
    # Stored first, deleted again if the row is not written: no row names a missing file.
    async with current_storage().stored(key, data), unit_of_work():
        account = await locked_account(actor, account_id, ("input", "account_id"))
        links = await visibility.account_links(
            account.id, link_ids, ("input", "account_contact_ids")
        )
        groups = await visibility.account_groups(
            account.id, group_ids, ("input", "access_group_ids")
        )
        if True:
            document = await AccountDocument.create(
                account_id=account.id,
                name=name,
                content_type=content_type,
                size=len(data),
                storage_key=key,
                uploaded_by=actor.user,
            )
            await visibility.share(DOCUMENTS, document.id, groups, links)
            await _audit(
                actor,
                "account_document.upload",
                ("AccountDocument", document.id),
                after={"name": name, "size": len(data), "content_type": content_type},
            )
    return document


async def groups_of(account_ids: list[int]) -> list[list[AccessGroup]]:
    found: dict[int, list[AccessGroup]] = defaultdict(list)
    for group in await AccessGroup.filter(account_id__in=account_ids).order_by("name", "id"):
        found[group.account_id].append(group)
    return [found[pk] for pk in account_ids]


async def group_members_of(group_ids: list[int]) -> list[list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = await AccessGroupMember.filter(group_id__in=group_ids).order_by("id")
    for row in rows:
        found[row.group_id].append(row.account_contact_id)
    return [found[pk] for pk in group_ids]


DOCUMENTS = visibility.ItemKind(AccountDocument, AccountDocumentShare, "document_id")


async def documents_of(account_ids: list[int]) -> list[list[AccountDocument]]:
    return await visibility.of_accounts(DOCUMENTS, account_ids)


async def documents_assigned(links: list[AccountContact]) -> list[list[AccountDocument]]:
    """What each ASSIGNED contact sees (resolvers.accounts.visibility)."""
    return await visibility.assigned(DOCUMENTS, links)


LINK_PURPOSE = "account-document"
LINK_ROUTE = "documents"


async def issue_link(
    caller: Caller, document_id: int, settings: Settings
) -> tuple[AccountDocument, downloads.DownloadLink]:
    """A signed download link to a document the caller may see (the permission directive
    checked that), by the contact export's link rules: shown once, it lives
    `export_link_ttl_seconds` and serves the file once. Audited."""
    document = await AccountDocument.get_or_none(
        id=document_id, account__organization_id=caller.organization_id
    )
    if document is None:
        raise NotFound(("input", "document_id"))
    link = downloads.signed_link(settings, LINK_PURPOSE, LINK_ROUTE, document.id)
    await _audit(
        caller,
        "account_document.link",
        ("AccountDocument", document.id),
        after={"expires_at": link.expires_at.isoformat()},
    )
    return document, link


async def download(token: str, meta: RequestMeta) -> downloads.Download:
    """The document a signed link names, streamed from storage; audited as
    `account_document.download`. 404 for a link not signed here, 410 for one expired or
    used, or whose document was deleted."""
    pk, expires_at = downloads.verify(LINK_PURPOSE, token)
    document = await AccountDocument.get_or_none(id=pk).select_related("account")
    if document is None:
        raise downloads.expired()
    found = await downloads.serve_once(
        token, expires_at, document.storage_key, document.name, document.content_type
    )
    await audit.record(
        "account_document.download",
        actor=None,
        meta=meta,
        organization_id=document.account.organization_id,
        target=("AccountDocument", document.id),
        after={"size": found.size},
    )
    return found
