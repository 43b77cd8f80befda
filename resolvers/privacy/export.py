"""Data exports on request: `personDataExport` (staff, one contact of their organization)
and `myDataExport` (a signed-in user, every organization that knows them).

The request is a PrivacyRequest row and a task, written together and audited; the job
(`build`) writes the archive (resolvers.privacy.archive) to storage under the request's
own key, then marks the request DONE and queues the mail telling the requester, in one
transaction guarded on PENDING: run twice, or killed and run again, it writes one file and
sends one mail. The mail carries no secret: the requester asks Carnet for a download link
(`personDataExportLink`, `myDataExportLink`), which works once, for
`CARNET_EXPORT_LINK_TTL_SECONDS`, and the file is deleted after `CARNET_EXPORT_RETENTION_DAYS`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from carnet.auth import token_digest
from carnet.i18n import N_
from carnet.settings import Settings, current_settings
from carnet.storage import check_key, current_storage
from models.contacts import Contact
from models.identity import User
from models.privacy import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from models.staff import StaffMembership
from models.teams import Seat, TeamMember
from resolvers.common import audit, downloads, relationships
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.downloads import Download, DownloadLink, link_url
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.permissions import Relationship
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.messaging.email import queue_email
from resolvers.privacy import archive

BUILD_EXPORT = "build_privacy_export"
LINK_ROUTE = "privacy-exports"
TEMPLATE = "privacy_export_ready"


def storage_key(request: PrivacyRequest) -> str:
    if request.organization_id is not None:
        return check_key(f"org/{int(request.organization_id)}/privacy-exports/{request.id}.zip")
    return check_key(f"users/{int(request.requested_by_id)}/privacy-exports/{request.id}.zip")


async def request_person_export(actor: Actor, contact_id: int | None) -> PrivacyRequest:
    contact = None
    if contact_id is not None:
        contact = await Contact.get_or_none(id=contact_id, organization_id=actor.organization_id)
    if contact is None:
        raise NotFound(("input", "contactId"))
    async with unit_of_work() as uow:
        request = await PrivacyRequest.create(
            organization_id=actor.organization_id,
            kind=PrivacyRequestKind.EXPORT,
            contact_id=contact.id,
            requested_by=actor.user,
        )
        await uow.defer(BUILD_EXPORT, request.id)
        await audit.record(
            "privacy.export",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("Contact", contact.id),
            after={"request": request.id},
        )
    return request


async def request_my_export(user: User, meta: RequestMeta) -> PrivacyRequest:
    async with unit_of_work() as uow:
        request = await PrivacyRequest.create(
            organization_id=None, kind=PrivacyRequestKind.MY_EXPORT, requested_by=user
        )
        await uow.defer(BUILD_EXPORT, request.id)
        await audit.record(
            "privacy.my_export",
            actor=user,
            meta=meta,
            target=("User", user.id),
            after={"request": request.id},
        )
    return request


async def organizations_of(user_id: int) -> list[int]:
    """Every organization where the user is a contact, staff, or on a team (a seat, a
    membership): each has data about them."""
    found: set[int] = set()
    found |= set(await Contact.filter(user_id=user_id).values_list("organization_id", flat=True))
    found |= set(
        await StaffMembership.filter(user_id=user_id).values_list("organization_id", flat=True)
    )
    found |= set(await Seat.filter(user_id=user_id).values_list("organization_id", flat=True))
    found |= set(
        await TeamMember.filter(user_id=user_id).values_list("team__organization_id", flat=True)
    )
    return sorted(found)


async def _archive(request: PrivacyRequest, locale: str) -> bytes:
    documents: dict[str, dict] = {}
    files: list[tuple[str, str]] = []
    extra: list[tuple[str, bytes]] = []
    if request.kind is PrivacyRequestKind.EXPORT:
        people = [await archive.person_in(request.organization_id, [request.contact_id])]
    else:
        user_id = request.requested_by_id
        documents["login.json"] = await archive.login_data(user_id)
        people = []
        for organization_id in await organizations_of(user_id):
            contacts = await Contact.filter(
                user_id=user_id, organization_id=organization_id
            ).values_list("id", flat=True)
            person = await archive.person_in(organization_id, list(contacts))
            person.user_ids = [user_id]
            people.append(person)
    for person in people:
        data, found = await archive.organization_data(person)
        documents[f"organization-{person.organization_id}.json"] = data
        files += found
        extra += await archive.statements(person, locale)
    return await archive.build_zip(documents, files, extra)


async def build(request_id: int) -> None:
    """The build_privacy_export job (see the module's docstring)."""
    request = await PrivacyRequest.get_or_none(id=request_id)
    if request is None or request.status is not PrivacyRequestStatus.PENDING:
        return
    key = storage_key(request)
    requester = (
        await User.get_or_none(id=request.requested_by_id) if request.requested_by_id else None
    )
    locale = requester.locale.value if requester is not None else "en"
    await current_storage().put(key, await _archive(request, locale))
    async with unit_of_work():
        done = await PrivacyRequest.filter(
            id=request.id, status=PrivacyRequestStatus.PENDING
        ).update(status=PrivacyRequestStatus.DONE, file_key=key, finished_at=now())
        if done and requester is not None and requester.is_active:
            scope = (
                (await Contact.get(id=request.contact_id)).sort_name
                if request.kind is PrivacyRequestKind.EXPORT and request.contact_id
                else {"fr": "toutes vos organisations"}.get(locale, "all your organizations")
            )
            await queue_email(
                template=TEMPLATE,
                to=requester.email,
                locale=locale,
                organization_id=request.organization_id,
                name=requester.first_name or requester.email,
                scope=scope,
                days=current_settings().export_retention_days,
            )


def downloadable(request: PrivacyRequest, settings: Settings) -> bool:
    if request.status is not PrivacyRequestStatus.DONE or request.file_key is None:
        return False
    return request.finished_at + timedelta(days=settings.export_retention_days) > now()


async def issue_link(
    request: PrivacyRequest | None, user: User, meta: RequestMeta, settings: Settings
) -> tuple[PrivacyRequest, DownloadLink]:
    """A fresh single-use link to a built export (the previous one stops working)."""
    field = ("input", "id")
    if request is None:
        raise NotFound(field)
    if request.status is not PrivacyRequestStatus.DONE:
        raise UserErrors.single(
            UserErrorCode.NOT_FINISHED, field, N_("This export is not ready yet.")
        )
    if not downloadable(request, settings):
        raise UserErrors.single(
            UserErrorCode.TOKEN_EXPIRED,
            field,
            N_("This export's file has been deleted: ask for a new export."),
        )
    token = secrets.token_urlsafe(32)
    expires_at = now() + timedelta(seconds=settings.export_link_ttl_seconds)
    async with unit_of_work():
        await PrivacyRequest.filter(id=request.id).update(
            download_token_hash=token_digest(token), expires_at=expires_at, link_used_at=None
        )
        await audit.record(
            "privacy.export.link",
            actor=user,
            meta=meta,
            organization_id=request.organization_id,
            target=("PrivacyRequest", request.id),
            after={"expires_at": expires_at.isoformat()},
        )
    request.expires_at = expires_at
    return request, DownloadLink(link_url(settings, LINK_ROUTE, token), expires_at)


async def download(token: str, meta: RequestMeta) -> Download:
    """GET /privacy-exports/{token}: the archive, once. 404 for an unknown link, 410 for an
    expired or used one."""
    if not token or len(token) > downloads.MAX_TOKEN_LENGTH:
        raise downloads.unknown()
    digest = token_digest(token)
    request = await PrivacyRequest.get_or_none(download_token_hash=digest)
    if request is None:
        raise downloads.unknown()
    moment = now()
    if request.expires_at is None or request.expires_at <= moment or request.file_key is None:
        raise downloads.expired()
    if request.link_used_at is not None:
        raise downloads.used()
    storage = current_storage()
    size = await storage.size(request.file_key)
    if size is None:
        raise downloads.expired()
    async with unit_of_work():
        taken = await PrivacyRequest.filter(
            id=request.id, download_token_hash=digest, link_used_at__isnull=True
        ).update(link_used_at=moment)
        if not taken:
            raise downloads.used()
        await audit.record(
            "privacy.export.download",
            actor=None,
            meta=meta,
            organization_id=request.organization_id,
            target=("PrivacyRequest", request.id),
            after={"size": size},
        )
    name = f"personal-data-{request.id}.zip"
    return Download(name, size, storage.open(request.file_key), "application/zip")


async def purge_files(settings: Settings) -> int:
    """Deletes the archives built more than the export retention ago."""
    cutoff = now() - timedelta(days=settings.export_retention_days)
    expired = await PrivacyRequest.filter(file_key__isnull=False, finished_at__lte=cutoff)
    for request in expired:
        cleared = await PrivacyRequest.filter(id=request.id, file_key=request.file_key).update(
            file_key=None, download_token_hash=None, expires_at=None
        )
        if cleared:
            await current_storage().delete(request.file_key)
    return len(expired)


async def _is_own_export(user: User, request: PrivacyRequest) -> bool:
    # A user's own export across organizations; staff exports are privacy.manage's.
    return request.kind is PrivacyRequestKind.MY_EXPORT and request.requested_by_id == user.id


relationships.register(Relationship.SELF, PrivacyRequest, _is_own_export)
