"""Contact export jobs: building an export's CSV, and deleting files past their retention."""

from __future__ import annotations

import logging

from arq import Retry
from arq.worker import func

from resolvers.common.tasks import run_task
from resolvers.contacts import exports

log = logging.getLogger(__name__)


async def export_contacts(ctx: dict, task_id: int) -> None:
    settings = ctx["settings"]
    try:
        await run_task(task_id, exports.build, settings.job_max_tries, ctx["job_try"])
    except Exception as exc:
        # A database hiccup mid-file: the build starts over (it writes only at the end);
        # the last try marks the task, and with it the export, FAILED.
        if ctx["job_try"] >= settings.job_max_tries:
            raise
        raise Retry(defer=ctx["job_try"] * 10) from exc


# Not the worker's 60 s: a large address book takes minutes (about 3 statements per 1000
# contacts). arq never runs two copies of one job id at once, so a slow export is not
# started again by the sweeper while it runs.
EXPORT_TIMEOUT_SECONDS = 30 * 60
export_contacts_job = func(export_contacts, name="export_contacts", timeout=EXPORT_TIMEOUT_SECONDS)
# Named like a plain job function, for whatever lists the registry by `__name__`.
export_contacts_job.__name__ = "export_contacts"


async def purge_contact_export_files(ctx: dict) -> int:
    purged = await exports.purge_files()
    if purged:
        log.info("deleted the file of %d contact export(s) past their retention", purged)
    return purged
