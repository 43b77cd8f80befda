"""Running a contact import: the file's rows in chunks, each chunk in one transaction that
also advances `processed_rows` and the counters, so a job killed halfway resumes exactly
where the last committed chunk ended, and a job run twice finds nothing left to do. What a
chunk writes is `import_writer`'s.
"""

from __future__ import annotations

from itertools import islice
from time import monotonic

from carnet.i18n import N_
from carnet.storage import current_storage
from models.transfers import ContactImport, TransferStatus
from resolvers.common import audit
from resolvers.common.actor import RequestMeta
from resolvers.common.tasks import on_give_up, run_budget_seconds, unit_of_work
from resolvers.common.time import now
from resolvers.duplicates import suggestions
from resolvers.transfers.csv_records import CsvRecord
from resolvers.transfers.import_file import csv_rows
from resolvers.transfers.import_writer import COUNTERS, ChunkWriter
from resolvers.transfers.imports import JOB

CHUNK_ROWS = 500
FAILURE = N_("The import stopped after repeated errors; the rows before it were imported.")
_STATE_FIELDS = (
    "id",
    "organization_id",
    "created_by_id",
    "status",
    "filename",
    "mapping",
    "consent",
    "on_existing",
    "total_rows",
    "processed_rows",
    "created_count",
    "updated_count",
    "error_count",
    "skipped_count",
    "started_at",
    "finished_at",
    "updated_at",
)


class _Records:
    """The file's data records, parsed once per job run and read forward chunk by chunk."""

    def __init__(self, text: str, delimiter: str):
        self.text, self.delimiter = text, delimiter
        self._restart()

    def _restart(self) -> None:
        self.rows = csv_rows(self.text, self.delimiter)
        next(self.rows, None)  # the header
        self.position = 0

    def take(self, start: int, count: int) -> list[CsvRecord]:
        if start < self.position:
            self._restart()
        if start > self.position:
            for _ in islice(self.rows, start - self.position):
                pass
        chunk = list(islice(self.rows, count))
        self.position = start + len(chunk)
        return chunk


async def run_import(import_id: int) -> None:
    """The job's body: chunks until the file is done or half the job timeout has passed,
    then a fresh task for the rest (so no run outlives the worker's job timeout)."""
    deadline = monotonic() + run_budget_seconds()
    imported = (
        await ContactImport.filter(id=import_id).only("id", "status", "file_key", "mapping").first()
    )
    if imported is None or imported.status in (TransferStatus.DONE, TransferStatus.FAILED):
        return
    # The file is read once per run, whole: its size was bounded at upload
    # (import_max_bytes), and a quoted cell may span lines, so it is parsed as one text.
    text = (await current_storage().read(imported.file_key)).decode("utf-8")
    records = _Records(text, imported.mapping.get("delimiter", ","))
    while True:
        if await _chunk(import_id, records):
            return
        if monotonic() > deadline:
            async with unit_of_work() as uow:
                await uow.defer(JOB, import_id)
            return


async def _locked_unfinished(import_id: int) -> ContactImport | None:
    """The import's state, locked for this transaction; None once it is done or failed."""
    state = (
        await ContactImport.filter(id=import_id).select_for_update().only(*_STATE_FIELDS).first()
    )
    if state is None or state.status in (TransferStatus.DONE, TransferStatus.FAILED):
        return None
    return state


async def _chunk(import_id: int, records: _Records) -> bool:
    """One chunk in one transaction; True when the import is over."""
    async with unit_of_work():
        state = await _locked_unfinished(import_id)
        if state is None:
            return True
        fields = ["status", *COUNTERS, "updated_at"]
        if state.status is TransferStatus.PENDING:
            state.status, state.started_at = TransferStatus.RUNNING, now()
            fields.append("started_at")
        start = state.processed_rows
        cells = records.take(start, CHUNK_ROWS)
        writer = await ChunkWriter.for_import(state)
        rows = writer.parse([(start + offset + 1, row) for offset, row in enumerate(cells)])
        await writer.write(rows)
        state.processed_rows += len(cells)
        for name, value in writer.counts.items():
            setattr(state, name, getattr(state, name) + value)
        done = not cells or state.processed_rows >= state.total_rows
        if done:
            state.status, state.finished_at = TransferStatus.DONE, now()
            fields.append("finished_at")
        await state.save(update_fields=fields)
        if writer.touched:
            await suggestions.refresh_suggestions(state.organization_id, sorted(writer.touched))
        if done:
            await audit.record(
                "contact.import.finished",
                actor=writer.user,
                meta=RequestMeta(),
                organization_id=state.organization_id,
                target=("ContactImport", state.id),
                after={name: getattr(state, name) for name in ("total_rows", *COUNTERS)},
            )
    return done


async def _give_up(import_id: int) -> None:
    async with unit_of_work():
        state = await _locked_unfinished(import_id)
        if state is None:
            return
        state.status, state.finished_at, state.failure = TransferStatus.FAILED, now(), FAILURE
        await state.save(update_fields=["status", "finished_at", "failure", "updated_at"])
        await audit.record(
            "contact.import.failed",
            actor=None,
            meta=RequestMeta(),
            organization_id=state.organization_id,
            target=("ContactImport", state.id),
            after={name: getattr(state, name) for name in ("total_rows", *COUNTERS)},
        )


on_give_up(JOB, _give_up)
