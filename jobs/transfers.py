"""Contact transfer jobs: starting an import queued before imports ran on the bulk engine
(imports now run as `bulk_chunk` jobs), building an export's CSV, and deleting export
files past their retention."""

from __future__ import annotations

import logging

from resolvers.common.tasks import run_job
from resolvers.transfers import export_downloads, exports, import_job

log = logging.getLogger(__name__)


async def import_contacts(ctx: dict, task_id: int) -> None:
    # Starts the import's bulk operation in one transaction (run again, it finds it
    # started); its chunks are then `bulk_chunk` jobs.
    await run_job(ctx, task_id, import_job.run_import)


async def export_contacts(ctx: dict, task_id: int) -> None:
    # Starts the export's bulk operation in one transaction (run again, it finds it
    # started); the last try marks the task, and with it the export, FAILED.
    await run_job(ctx, task_id, exports.build)


async def purge_contact_export_files(ctx: dict) -> int:
    purged = await export_downloads.purge_files(ctx["settings"])
    if purged:
        log.info("deleted the file of %d contact export(s) past their retention", purged)
    return purged
