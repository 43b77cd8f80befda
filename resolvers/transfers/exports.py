"""Contact exports: asked for through the API, built by a job, downloaded through a link.

`request_export` checks the filter as the contacts list does, records the export and its
job, and audits `contact.export`. The job (`build`) writes the CSV (resolvers.transfers.
export_csv) with the requester's rights as they are when it runs, in rounds: each round
stores its rows as one more part of the file in storage (carnet.storage), numbered by the
rows before it, so a round run again rewrites its own part instead of appending twice.

Download links, downloads and the deletion of old files are in export_downloads.py.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from time import monotonic

from tortoise.expressions import Subquery

from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import current_storage, new_key
from models.identity import User
from models.transfers import ContactExport, TransferStatus
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.errors import (
    BadUserInput,
    FieldPath,
    Forbidden,
    NotFound,
    UserErrorCode,
    UserErrors,
)
from resolvers.common.locks import Purpose, advisory_lock
from resolvers.common.pagination import Page, paginate
from resolvers.common.permissions import Permission
from resolvers.common.tasks import on_give_up, run_budget_seconds, unit_of_work
from resolvers.common.time import now
from resolvers.contacts.search import ContactFilter
from resolvers.contacts.stored_filters import check_filter, filter_from_json, filter_to_json
from resolvers.organizations.access import actor_for
from resolvers.segments import segments
from resolvers.transfers.export_csv import Written, write_contacts

EXPORT_CONTACTS = "export_contacts"
# A segment's export stores {SEGMENT_KEY: its id} instead of a filter.
SEGMENT_KEY = "segment_id"
# Exports waiting or running per organization: each is a full pass over the address book,
# so one impatient double-click is fine, a loop of requests is not.
MAX_EXPORTS_IN_PROGRESS = 3
FILE_KIND = "contact-exports"  # the files' folder in storage
# The columns lists and reads show (the file itself is in storage, never in a row).
_LISTED = (
    "id",
    "organization_id",
    "created_by_id",
    "status",
    "filters",
    "row_count",
    "download_token_hash",
    "file_key",
    "resume_after",
    "expires_at",
    "failure",
    "finished_at",
    "created_at",
    "updated_at",
)


async def request_export(actor: Actor, filters: ContactFilter) -> ContactExport:
    """Checks the filter exactly as the contacts list does, then queues the export."""
    await check_filter(actor, filters)
    stored = filter_to_json(filters)
    return await _queue(actor, stored, {"filter": stored}, ("input", "organizationId"))


async def request_segment_export(actor: Actor, segment_id: int | None) -> ContactExport:
    """Queues the export of a segment's contacts: the same file, built by the same job, as
    `request_export`'s. What the segment selects is read when the job runs (a saved
    segment's search and filter, a static segment's members), so the file is the segment
    as it is then; a segment with problems is refused now, on the path of its id."""
    if not actor.can(Permission.SEGMENTS_READ):
        raise Forbidden()
    try:
        segment = await segments.segment(actor, segment_id)
    except NotFound:
        raise NotFound(("input", "segmentId")) from None
    try:
        await segments.selection(actor, segment)
    except BadUserInput as refused:
        raise UserErrors.single(
            UserErrorCode.INVALID, ("input", "segmentId"), refused.message, **refused.params
        ) from None
    stored = {SEGMENT_KEY: segment.id}
    audited = {**stored, "segment": segments.snapshot(segment)}
    return await _queue(actor, stored, audited, ("input", "segmentId"))


async def _queue(actor: Actor, stored: dict, audited: dict, field: FieldPath) -> ContactExport:
    async with unit_of_work() as uow:
        # Counted and added under the organization's lock: requests sent at once queue
        # here, so the limit holds however many arrive together.
        await advisory_lock(actor.organization_id, Purpose.CONTACT_EXPORTS)
        in_progress = ContactExport.filter(
            organization_id=actor.organization_id,
            status__in=[TransferStatus.PENDING, TransferStatus.RUNNING],
        )
        if await in_progress.count() >= MAX_EXPORTS_IN_PROGRESS:
            raise UserErrors.single(
                UserErrorCode.RATE_LIMITED,
                field,
                N_("{max} exports are already under way: wait for one to finish."),
                max=MAX_EXPORTS_IN_PROGRESS,
            )
        export = await ContactExport.create(
            organization_id=actor.organization_id, created_by=actor.user, filters=stored
        )
        await uow.defer(EXPORT_CONTACTS, export.id)
        await audit.record(
            "contact.export",
            actor=actor.user,
            meta=actor.meta,
            organization_id=actor.organization_id,
            target=("ContactExport", export.id),
            after=audited,
        )
    return export


def file_expires_at(export: ContactExport, settings: Settings) -> datetime | None:
    """When the file is (or was) deleted; None until it is built."""
    if export.status is not TransferStatus.DONE or export.finished_at is None:
        return None
    return export.finished_at + timedelta(days=settings.export_retention_days)


def downloadable(export: ContactExport, settings: Settings) -> bool:
    expires = file_expires_at(export, settings)
    return expires is not None and expires > now()


async def _requester(export: ContactExport) -> Actor | None:
    """Who asked, with the rights they have now: a requester since deactivated or demoted
    gets no file."""
    user = await User.get_or_none(id=export.created_by_id) if export.created_by_id else None
    if user is None:
        return None
    actor = await actor_for(user, export.organization_id, RequestMeta(locale=user.locale.value))
    return actor if actor is not None and actor.can(Permission.CONTACTS_IMPORT_EXPORT) else None


async def build(export_id: int) -> None:
    """The export_contacts job: writes the CSV in rounds of at most half the job timeout.
    Each round appends its rows and moves the resume point in one transaction, guarded by
    the point it started from, so a round run twice (or killed and run again) appends once;
    an unfinished export gets a fresh task for the next round. Done is audited once."""
    claimed = await ContactExport.filter(
        id=export_id, status__in=[TransferStatus.PENDING, TransferStatus.RUNNING]
    ).update(status=TransferStatus.RUNNING)
    if not claimed:
        return
    export = await ContactExport.get(id=export_id).only(*_LISTED)
    actor = await _requester(export)
    if actor is None:
        await mark_failed(export_id, N_("Whoever asked for this export may no longer export."))
        return
    out = io.StringIO()
    try:
        filters, within = await _selection(actor, export.filters)
        written = await write_contacts(
            actor,
            filters,
            actor.meta.locale,
            out,
            after=export.resume_after,
            deadline=monotonic() + run_budget_seconds(),
            within=within,
        )
    except SegmentGone:
        await mark_failed(export_id, N_("The segment was deleted since the export was asked."))
        return
    except (NotFound, BadUserInput) as refused:
        # A group, colour or custom field of the filter was deleted since: no retry helps.
        # A segment with problems says so in the segment's own words.
        segment_problem = isinstance(refused, BadUserInput) and SEGMENT_KEY in export.filters
        await mark_failed(
            export_id,
            refused.message
            if segment_problem
            else N_("The filter names a group, colour or custom field deleted since."),
        )
        return
    await _store_round(export, out.getvalue().encode("utf-8"), written)


class SegmentGone(Exception):
    """The segment an export was asked for was deleted before its file was built."""


async def _selection(actor: Actor, stored: dict) -> tuple[ContactFilter, Subquery | None]:
    """The stored filter, or what the stored segment selects now."""
    if SEGMENT_KEY not in stored:
        return filter_from_json(stored), None
    try:
        segment = await segments.segment(actor, stored[SEGMENT_KEY])
    except NotFound:
        raise SegmentGone() from None
    return await segments.selection(actor, segment)


async def _store_round(export: ContactExport, data: bytes, written: Written) -> None:
    """Stores the round's part and moves the resume point, under the export's row lock:
    a duplicate run of this round waits, then finds the point moved and writes nothing.
    The part is numbered by the rows before it, so a round whose commit failed after its
    part was stored rewrites that same part when it runs again."""
    async with unit_of_work() as uow:
        current = (
            await ContactExport.filter(
                id=export.id,
                status=TransferStatus.RUNNING,
                row_count=export.row_count,
            )
            .select_for_update()
            .only("id", "file_key", "resume_after")
            .first()
        )
        if current is None or current.resume_after != export.resume_after:
            return  # another run of this round got there first
        file_key = current.file_key or new_key(export.organization_id, FILE_KIND, "csv")
        await current_storage().put_part(file_key, export.row_count, data)
        row_count = export.row_count + written.count
        if written.resume_after is not None:
            await ContactExport.filter(id=export.id).update(
                file_key=file_key, row_count=row_count, resume_after=written.resume_after
            )
            await uow.defer(EXPORT_CONTACTS, export.id)
            return
        await ContactExport.filter(id=export.id).update(
            status=TransferStatus.DONE,
            file_key=file_key,
            row_count=row_count,
            resume_after=None,
            finished_at=now(),
        )
        await audit.record(
            "contact.export.done",
            actor=None,
            meta=RequestMeta(),
            organization_id=export.organization_id,
            target=("ContactExport", export.id),
            after={"row_count": row_count},
        )


async def mark_failed(
    export_id: int, failure: str = N_("The export could not be built. Ask for it again.")
) -> None:
    """A failed export keeps no file: the rounds stored so far are deleted."""
    async with unit_of_work():
        failed = (
            await ContactExport.filter(
                id=export_id, status__in=[TransferStatus.PENDING, TransferStatus.RUNNING]
            )
            .select_for_update()
            .only("id", "file_key")
            .first()
        )
        if failed is None:
            return
        await ContactExport.filter(id=export_id).update(
            status=TransferStatus.FAILED, failure=failure, finished_at=now(), file_key=None
        )
    if failed.file_key:
        await current_storage().delete(failed.file_key)


on_give_up(EXPORT_CONTACTS, mark_failed)


async def export_of(actor: Actor, export_id: int | None) -> ContactExport | None:
    if export_id is None:
        return None
    return (
        await ContactExport.filter(id=export_id, organization_id=actor.organization_id)
        .only(*_LISTED)
        .first()
    )


async def exports(actor: Actor, *, first: int | None = None, after: str | None = None) -> Page:
    """The organization's exports, newest first."""
    listed = ContactExport.filter(organization_id=actor.organization_id).only(*_LISTED)
    return await paginate(listed, order=("-created_at",), first=first, after=after)
