"""Contact export jobs: building an export's CSV, and deleting files past their retention."""

from __future__ import annotations

import logging

from resolvers.common.tasks import run_job
from resolvers.contacts import exports

log = logging.getLogger(__name__)


async def export_contacts(ctx: dict, task_id: int) -> None:
    # Each round commits its rows with the resume point, so a retry carries on from the
    # last committed round; the last try marks the task, and with it the export, FAILED.
    await run_job(ctx, task_id, exports.build)


async def purge_contact_export_files(ctx: dict) -> int:
    purged = await exports.purge_files()
    if purged:
        log.info("deleted the file of %d contact export(s) past their retention", purged)
    return purged
