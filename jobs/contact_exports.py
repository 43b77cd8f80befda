"""Contact export jobs: building an export's CSV, and deleting files past their retention."""

from __future__ import annotations

import logging

from arq import Retry

from resolvers.common.tasks import run_task
from resolvers.contacts import exports

log = logging.getLogger(__name__)


async def export_contacts(ctx: dict, task_id: int) -> None:
    # Runs under the worker's job timeout (CARNET_JOB_TIMEOUT_SECONDS). Not a longer
    # per-function timeout: arq locks every job for its largest function timeout, which
    # would leave a killed worker's emails locked as long.
    settings = ctx["settings"]
    try:
        await run_task(task_id, exports.build, settings.job_max_tries, ctx["job_try"])
    except Exception as exc:
        # A database hiccup mid-file: the build starts over (it writes only at the end);
        # the last try marks the task, and with it the export, FAILED.
        if ctx["job_try"] >= settings.job_max_tries:
            raise
        raise Retry(defer=ctx["job_try"] * 10) from exc


async def purge_contact_export_files(ctx: dict) -> int:
    purged = await exports.purge_files()
    if purged:
        log.info("deleted the file of %d contact export(s) past their retention", purged)
    return purged
