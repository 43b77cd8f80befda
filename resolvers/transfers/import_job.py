"""Running a contact import on the bulk-operation engine (resolvers.bulk).

The import is a CONTACT_IMPORT operation whose records are the file's data rows: item =
row number (record type "import_row"), frozen when the import is asked for. Its chunks run
one after another, in row order (a row may match a contact an earlier row created), each
as one `bulk_chunk` job and one transaction that writes its rows' contacts set-based
(`import_writer`), moves the import's counters, and records each row's result on the
operation's items: a chunk run twice has one effect, and the engine's cancel, progress
and give-up apply. The last chunk ends the import (`_import_finished`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from tortoise.expressions import F

from carnet.i18n import N_
from carnet.storage import current_storage
from models.bulk import BulkItemStatus, BulkOperation, BulkOperationKind, BulkOperationState
from models.identity import User
from models.transfers import ContactImport, TransferStatus
from resolvers.bulk import operations, targets
from resolvers.bulk.actions import Action, ChunkContext, RecordResult, register
from resolvers.common import audit
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.permissions import Permission
from resolvers.common.tasks import unit_of_work
from resolvers.common.time import now
from resolvers.duplicates import suggestions
from resolvers.organizations.access import actor_for
from resolvers.transfers import import_writer
from resolvers.transfers.csv_records import CsvRecord
from resolvers.transfers.import_file import csv_rows
from resolvers.transfers.import_writer import COUNTERS, ChunkWriter

RECORD_TYPE = "import_row"
CHUNK_ROWS = 500  # rows per chunk: each chunk's statements do not grow with it
FAILURE = N_("The import stopped after repeated errors; the rows before it were imported.")
CANCELED = N_("The import was canceled; the rows before it were imported.")
NOT_IMPORTED = N_("This row was not imported: see the import's row errors.")
_SKIPPED = {import_writer.UNCHANGED, import_writer.EXISTING, import_writer.BLANK}
_STATE_FIELDS = (
    "id",
    "organization_id",
    "created_by_id",
    "status",
    "filename",
    "file_key",
    "mapping",
    "consent",
    "on_existing",
    "total_rows",
    "operation_id",
)


async def launch(actor: Actor, contact_import: ContactImport) -> BulkOperation:
    """The import's operation, queued in the caller's unit of work (the import's row
    written): its items are the rows 1..total_rows."""
    operation = await operations.launch(
        actor,
        BulkOperationKind.CONTACT_IMPORT,
        targets.Numbered(contact_import.total_rows),
        target={"import_id": contact_import.id, "rows": contact_import.total_rows},
        params={"import_id": contact_import.id},
        chunk_size=CHUNK_ROWS,
    )
    contact_import.operation = operation
    await ContactImport.filter(id=contact_import.id).update(operation_id=operation.id)
    if operation.total == 0:  # a file of a header only: done at once
        moment = now()
        operation.state, operation.finished_at = BulkOperationState.COMPLETED, moment
        await BulkOperation.filter(id=operation.id).update(
            state=operation.state, started_at=moment, finished_at=moment, updated_at=moment
        )
        await _import_finished(operation)
    return operation


async def run_import(import_id: int) -> None:
    """The `import_contacts` job, for an import asked for before imports ran on the
    engine (queued with no operation): starts its operation, once."""
    async with unit_of_work():
        # A write first, that changes nothing: a second run waits for the first to commit.
        claimed = await ContactImport.filter(
            id=import_id, status=TransferStatus.PENDING, operation_id__isnull=True
        ).update(status=TransferStatus.PENDING)
        if not claimed:
            return
        state = await ContactImport.get(id=import_id).only(*_STATE_FIELDS)
        user = await User.get_or_none(id=state.created_by_id) if state.created_by_id else None
        actor = await actor_for(user, state.organization_id, RequestMeta()) if user else None
        if actor is None or not actor.can(Permission.CONTACTS_IMPORT_EXPORT):
            await ContactImport.filter(id=import_id).update(
                status=TransferStatus.FAILED, failure=FAILURE, finished_at=now()
            )
            return
        await launch(actor, state)


class _Records:
    """A file's data records, read forward: a worker running the chunks of one import in
    order parses the file once, not once per chunk."""

    def __init__(self, text: str, delimiter: str):
        self.text, self.delimiter = text, delimiter
        self._restart()

    def _restart(self) -> None:
        self.rows = csv_rows(self.text, self.delimiter)
        next(self.rows, None)  # the header
        self.position = 0
        # Records passed over to reach a later chunk, by their start: the chunk before
        # it, running at the same time (PostgreSQL), may ask for them just after.
        self.passed: dict[int, list[CsvRecord]] = {}
        # The last chunk's records, by its start: a chunk run again (`Respeculate`) asks
        # for them again.
        self.last: tuple[int, list[CsvRecord]] = (-1, [])

    def take(self, start: int, count: int) -> list[CsvRecord]:
        passed = self.passed.pop(start, None)
        if passed is None and self.last[0] == start:
            passed = self.last[1]
        if passed is not None and len(passed) >= count:
            return passed[:count]
        if start < self.position:
            self._restart()
        if start > self.position:
            gap = start - self.position
            if gap <= _KEEP_PASSED:
                self.passed = {self.position: list(islice(self.rows, gap))}
            else:
                for _ in islice(self.rows, gap):
                    pass
        chunk = list(islice(self.rows, count))
        self.position = start + len(chunk)
        self.last = (start, chunk)
        return chunk


# The files being imported in this process, by storage key (the newest last). The file
# is read whole: its size was bounded at upload (import_max_bytes), and a quoted cell may
# span lines, so it is parsed as one text.
_OPEN: dict[str, _Records] = {}
_KEEP_PASSED = 5_000  # records
_OPEN_MAX = 2


async def _records(state: ContactImport) -> _Records:
    records = _OPEN.pop(state.file_key, None)
    if records is None:
        text = (await current_storage().read(state.file_key)).decode("utf-8")
        records = _Records(text, state.mapping.get("delimiter", ","))
    _OPEN[state.file_key] = records
    while len(_OPEN) > _OPEN_MAX:
        del _OPEN[next(iter(_OPEN))]
    return records


async def _import_chunk(context: ChunkContext, rows: Sequence[int]) -> list[RecordResult]:
    """One chunk of rows (their numbers, in order), in the chunk's transaction."""
    state = await ContactImport.filter(id=context.params["import_id"]).only(*_STATE_FIELDS)
    if not state or not rows:
        return []
    state = state[0]
    moment = context.moment
    wanted = set(rows)
    cells = (await _records(state)).take(rows[0] - 1, rows[-1] - rows[0] + 1)
    numbered = [(rows[0] + i, cell) for i, cell in enumerate(cells) if rows[0] + i in wanted]
    writer = await ChunkWriter.for_import(state)
    await writer.write(writer.parse(numbered), context.turn, context.alongside)
    # After the chunk's turn (`write` took it): the import's row is shared by its chunks.
    await ContactImport.filter(id=state.id, status=TransferStatus.PENDING).update(
        status=TransferStatus.RUNNING, started_at=moment
    )
    await ContactImport.filter(id=state.id).update(
        processed_rows=F("processed_rows") + len(rows),
        **{name: F(name) + value for name, value in writer.counts.items()},
        updated_at=moment,
    )
    if writer.touched:
        await suggestions.refresh_suggestions(
            state.organization_id, sorted(writer.touched), known=writer.saved_contacts()
        )
    return [_result(number, outcome) for number, outcome in writer.outcomes.items()]


def _result(number: int, outcome: str) -> RecordResult:
    if outcome in (import_writer.CREATED, import_writer.UPDATED):
        return RecordResult(number, BulkItemStatus.SUCCEEDED, outcome)
    if outcome in _SKIPPED:
        return RecordResult(number, BulkItemStatus.SKIPPED, outcome)
    return RecordResult(number, BulkItemStatus.FAILED, outcome, NOT_IMPORTED)


async def _import_finished(operation: BulkOperation) -> None:
    """The import's end, in the last chunk's transaction: DONE when every chunk ran,
    FAILED (saying why) when one was given up or the import was canceled."""
    import_id = (operation.params or {}).get("import_id")
    state = await ContactImport.get_or_none(id=import_id).only(
        "id", "organization_id", "created_by_id", "total_rows", *COUNTERS
    )
    if state is None:
        return
    moment = now()
    if operation.state is BulkOperationState.COMPLETED:
        status, failure, event = TransferStatus.DONE, "", "contact.import.finished"
    elif operation.state is BulkOperationState.CANCELED:
        status, failure, event = TransferStatus.FAILED, CANCELED, "contact.import.canceled"
    else:
        status, failure, event = TransferStatus.FAILED, FAILURE, "contact.import.failed"
    await ContactImport.filter(id=import_id).update(
        status=status, failure=failure, finished_at=moment, updated_at=moment
    )
    await ContactImport.filter(id=import_id, started_at__isnull=True).update(started_at=moment)
    user = await User.get_or_none(id=state.created_by_id) if state.created_by_id else None
    await audit.record(
        event,
        actor=user if status is TransferStatus.DONE else None,
        meta=RequestMeta(),
        organization_id=state.organization_id,
        target=("ContactImport", state.id),
        after={name: getattr(state, name) for name in ("total_rows", *COUNTERS)},
    )


register(
    BulkOperationKind.CONTACT_IMPORT,
    Action(
        record_type=RECORD_TYPE,
        permission=Permission.CONTACTS_IMPORT_EXPORT,
        apply=_import_chunk,
        finish=_import_finished,
        in_order=True,
    ),
)
