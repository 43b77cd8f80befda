"""Contact exports: asked for through the API, built by a job, downloaded through a link.

`request_export` checks the filter as the contacts list does, records the export and its
job, and audits `contact.export`. The job (`build`) runs the export on the bulk-operation
engine (resolvers.bulk): with the requester's rights as they are when it runs, it freezes
the contacts to export, in the file's order, as a CONTACT_EXPORT operation; each chunk
stores its rows (resolvers.transfers.export_csv) as part N of the file in storage
(carnet.storage), so a chunk run again rewrites its own part instead of appending twice;
the file is whole, and the export DONE, when every chunk is.

Download links, downloads and the deletion of old files are in export_downloads.py.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.expressions import F, Subquery

from carnet.i18n import N_
from carnet.settings import Settings
from carnet.storage import current_storage, new_key
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind, BulkOperationState
from models.identity import User
from models.transfers import ContactExport, TransferStatus
from resolvers.bulk import operations
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
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
from resolvers.common.tasks import on_give_up, unit_of_work
from resolvers.common.time import now
from resolvers.contacts.search import ContactFilter, matching
from resolvers.contacts.stored_filters import check_filter, filter_from_json, filter_to_json
from resolvers.organizations.access import actor_for
from resolvers.segments import segments
from resolvers.transfers.export_csv import (
    custom_field_columns,
    fields_by_id,
    write_header,
    write_records,
)

EXPORT_CONTACTS = "export_contacts"
# A segment's export stores {SEGMENT_KEY: its id} instead of a filter.
SEGMENT_KEY = "segment_id"
# Exports waiting or running per organization: each is a full pass over the address book,
# so one impatient double-click is fine, a loop of requests is not.
MAX_EXPORTS_IN_PROGRESS = 3
FILE_KIND = "contact-exports"  # the files' folder in storage
# The file's row order, as the contacts list: the operation's items are frozen in it.
EXPORT_ORDER = ("sort_name", "id")
_NOT_ALLOWED = N_("Whoever asked for this export may no longer export.")
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
    "operation_id",
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
    """The export_contacts job: starts the file. With the requester's rights as they are
    now, it freezes the contacts to export, in the file's name order, as the items of a
    CONTACT_EXPORT bulk operation, stores the header as part 0, and queues the operation's
    chunks; each chunk stores its rows as one more part (`_export_chunk`), and the last
    ends the export (`_export_finished`). All of this start commits at once, with the
    export pointing to its operation: run twice (or killed and run again), it starts one
    operation. A target with no contact makes a header-only file at once."""
    try:
        async with unit_of_work():
            await _start(export_id)
    except _Refused as refused:
        await mark_failed(export_id, refused.failure)


class _Refused(Exception):
    def __init__(self, failure: str):
        super().__init__(failure)
        self.failure = failure


async def _start(export_id: int) -> None:
    # A write first: it locks the row (PostgreSQL) or the database (SQLite) for the
    # transaction, so a second run waits, then finds the operation set.
    claimed = await ContactExport.filter(
        id=export_id,
        status__in=[TransferStatus.PENDING, TransferStatus.RUNNING],
        operation_id__isnull=True,
    ).update(status=TransferStatus.RUNNING)
    if not claimed:
        return
    export = await ContactExport.get(id=export_id).only(*_LISTED)
    actor = await _requester(export)
    if actor is None:
        raise _Refused(_NOT_ALLOWED)
    try:
        filters, within = await _selection(actor, export.filters)
        contacts = await matching(actor, filters)
    except SegmentGone:
        raise _Refused(N_("The segment was deleted since the export was asked.")) from None
    except (NotFound, BadUserInput) as refused:
        # A group, colour or custom field of the filter was deleted since: no retry helps.
        # A segment with problems says so in the segment's own words.
        segment_problem = isinstance(refused, BadUserInput) and SEGMENT_KEY in export.filters
        raise _Refused(
            refused.message
            if segment_problem
            else N_("The filter names a group, colour or custom field deleted since.")
        ) from None
    if within is not None:
        contacts = contacts.filter(id__in=within)
    fields = await custom_field_columns(export.organization_id)
    file_key = new_key(export.organization_id, FILE_KIND, "csv")
    header = io.StringIO()
    write_header(fields, actor.meta.locale, header)
    await current_storage().put_part(file_key, 0, header.getvalue().encode("utf-8"))
    operation = await operations.launch(
        actor,
        BulkOperationKind.CONTACT_EXPORT,
        contacts,
        target={"export_id": export.id, **export.filters},
        params={
            "export_id": export.id,
            "file_key": file_key,
            "field_ids": [f.id for f in fields],
        },
        order=EXPORT_ORDER,
    )
    await ContactExport.filter(id=export.id).update(
        operation_id=operation.id, file_key=file_key
    )
    if operation.total == 0:
        moment = now()
        operation.state, operation.finished_at = BulkOperationState.COMPLETED, moment
        await BulkOperation.filter(id=operation.id).update(
            state=operation.state, started_at=moment, finished_at=moment, updated_at=moment
        )
        await _export_finished(operation)


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


async def _export_chunk(context: ChunkContext, record_ids: Sequence[int]) -> list[RecordResult]:
    """One chunk of an export: its contacts' rows, as they are now, stored as part N of
    the file (part N again if the chunk runs again: never appended twice)."""
    params = context.params
    export = await ContactExport.get(id=params["export_id"]).only(*_LISTED)
    if await _requester(export) is None:
        # Rights are those of the requester as each chunk runs: no file for one who lost
        # them. The export first, then the operation: the order every chunk locks them in.
        await ContactExport.filter(id=export.id).update(failure=_NOT_ALLOWED)
        await BulkOperation.filter(id=context.operation.id).update(
            state=BulkOperationState.CANCELED, canceled_at=context.moment
        )
        return [
            RecordResult(pk, BulkItemStatus.SKIPPED, "FORBIDDEN", _NOT_ALLOWED)
            for pk in record_ids
        ]
    out = io.StringIO()
    fields = await fields_by_id(list(params["field_ids"]))
    written = await write_records(context.organization.id, list(record_ids), fields, out)
    await current_storage().put_part(
        params["file_key"], context.chunk_number, out.getvalue().encode("utf-8")
    )
    # The export's progress, in the chunk's transaction (before the operation's row, as
    # every chunk takes its locks).
    await ContactExport.filter(id=params["export_id"]).update(
        row_count=F("row_count") + len(written)
    )
    return [RecordResult(pk, BulkItemStatus.SUCCEEDED) for pk in written]


async def _export_finished(operation: BulkOperation) -> None:
    """The export's end, in the last chunk's transaction: DONE (audited once) when every
    chunk is done, FAILED without its file otherwise."""
    export_id = (operation.params or {}).get("export_id")
    if operation.state is not BulkOperationState.COMPLETED:
        failed = (
            await ContactExport.filter(id=export_id).only("id", "file_key", "failure").first()
        )
        await ContactExport.filter(id=export_id).update(
            status=TransferStatus.FAILED,
            failure=(failed.failure if failed is not None else "")
            or N_("The export could not be built. Ask for it again."),
            finished_at=now(),
            file_key=None,
        )
        if failed is not None and failed.file_key:
            await current_storage().delete(failed.file_key)
        return
    export = await ContactExport.get(id=export_id).only("id", "organization_id", "row_count")
    await ContactExport.filter(id=export_id).update(
        status=TransferStatus.DONE, resume_after=None, finished_at=now()
    )
    await audit.record(
        "contact.export.done",
        actor=None,
        meta=RequestMeta(),
        organization_id=export.organization_id,
        target=("ContactExport", export_id),
        after={"row_count": export.row_count},
    )


register(
    BulkOperationKind.CONTACT_EXPORT,
    Action(
        record_type="contact",
        permission=Permission.CONTACTS_IMPORT_EXPORT,
        apply=_export_chunk,
        finish=_export_finished,
    ),
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
