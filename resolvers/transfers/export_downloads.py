"""Contact export files: download links, downloads, and deleting files past retention.

The download link is a bearer secret. It is minted only by `issue_link` (the
`contactExportLink` mutation), shown once in that mutation's payload, and never readable
again: only its SHA-256 is kept, each new link kills the previous one, and it dies after
`export_link_ttl_seconds` or once it has served the file. Reads of an export (queries,
`node`, lists) never mint a link, so they stay side-effect free and cannot leak one.
Minting and each download are audited. The file itself is kept `export_retention_days`
after it was built, then deleted from storage; the download streams it from storage,
never whole in memory.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo

from carnet.auth import token_digest
from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import current_storage
from models.transfers import ContactExport, TransferStatus
from resolvers.common import audit, downloads
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.downloads import Download, DownloadLink, link_url
from resolvers.common.errors import NotFound, UserErrorCode, UserErrors
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.transfers.exports import _LISTED, downloadable


def download_url(token: str, settings: Settings) -> str:
    return link_url(settings, "exports", token)


async def issue_link(
    actor: Actor, export_id: int | None, settings: Settings
) -> tuple[ContactExport, DownloadLink]:
    """A fresh download link for a built export whose file is still kept; the previous
    link stops working."""
    field = ("input", "id")
    ttl = timedelta(seconds=settings.export_link_ttl_seconds)
    async with unit_of_work():
        export = None
        if export_id is not None:
            export = (
                await ContactExport.filter(id=export_id, organization_id=actor.organization_id)
                .only(*_LISTED)
                .select_for_update()
                .first()
            )
        if export is None:
            raise NotFound(field)
        if export.status is TransferStatus.FAILED:
            raise UserErrors.single(
                UserErrorCode.INVALID, field, N_("This export failed: ask for a new one.")
            )
        if export.status is not TransferStatus.DONE:
            raise UserErrors.single(
                UserErrorCode.INVALID, field, N_("This export is not ready yet.")
            )
        if not downloadable(export, settings):
            raise UserErrors.single(
                UserErrorCode.TOKEN_EXPIRED,
                field,
                N_("This export's file has been deleted: ask for a new export."),
            )
        token = secrets.token_urlsafe(32)
        export.download_token_hash = token_digest(token)
        export.expires_at = now() + ttl
        await ContactExport.filter(id=export.id).update(
            download_token_hash=export.download_token_hash,
            expires_at=export.expires_at,
            link_used_at=None,
        )
        await audit.record(
            "contact.export.link",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("ContactExport", export.id),
            after={"expires_at": export.expires_at.isoformat()},
        )
    return export, DownloadLink(download_url(token, settings), export.expires_at)


async def download(token: str, meta: RequestMeta, settings: Settings) -> Download:
    """The file a link points at, audited as `contact.export.download`. The link is used up
    as the file starts to stream, by one guarded update: of requests at once, one gets the
    file. A download cut short used it up too; `contactExportLink` gives a new one."""
    unknown = downloads.unknown()
    if not token or len(token) > downloads.MAX_TOKEN_LENGTH:
        raise unknown
    digest = token_digest(token)
    export = await ContactExport.get_or_none(download_token_hash=digest).select_related(
        "organization"
    )
    if export is None:
        raise unknown
    moment = now()
    expired = downloads.expired()
    if (
        export.expires_at is None
        or export.expires_at <= moment
        or export.file_key is None
        or not downloadable(export, settings)
    ):
        raise expired
    used = downloads.used()
    if export.link_used_at is not None:
        raise used
    storage = current_storage()
    size = await storage.size(export.file_key)
    if size is None:
        raise expired
    async with unit_of_work():
        taken = await ContactExport.filter(
            id=export.id, download_token_hash=digest, link_used_at__isnull=True
        ).update(link_used_at=moment)
        if not taken:
            raise used
        await audit.record(
            "contact.export.download",
            actor=None,
            meta=meta,
            organization_id=export.organization_id,
            target=("ContactExport", export.id),
            after={"row_count": export.row_count},
        )
    day = export.finished_at.astimezone(ZoneInfo(export.organization.timezone)).date()
    return Download(f"contacts-{day.isoformat()}.csv", size, storage.open(export.file_key))


async def purge_files(settings: Settings) -> int:
    """Deletes the file (and clears any link) of exports built more than the retention ago.
    Each row is cleared before its file goes: no download starts on a file being deleted."""
    cutoff = now() - timedelta(days=settings.export_retention_days)
    expired = await ContactExport.filter(file_key__isnull=False, finished_at__lte=cutoff).only(
        "id", "file_key"
    )
    storage = current_storage()
    purged = 0
    for export in expired:
        cleared = await ContactExport.filter(id=export.id, file_key=export.file_key).update(
            file_key=None, download_token_hash=None, expires_at=None
        )
        if cleared:
            await storage.delete(export.file_key)
            purged += 1
    return purged
