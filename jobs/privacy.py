"""Privacy jobs: building a person's export archive, deleting old archives, and the daily
retention erasure."""

from __future__ import annotations

import logging

from resolvers.common.tasks import run_job
from resolvers.privacy import export, retention

log = logging.getLogger(__name__)


async def build_privacy_export(ctx: dict, task_id: int) -> None:
    # The archive is written under the request's own key and the request marked DONE (with
    # its one mail) in a transaction guarded on PENDING: a rerun writes one file, one mail.
    await run_job(ctx, task_id, export.build)


async def purge_privacy_export_files(ctx: dict) -> int:
    purged = await export.purge_files(ctx["settings"])
    if purged:
        log.info("deleted %d privacy export archive(s) past their retention", purged)
    return purged


async def apply_retention(ctx: dict) -> int:
    # Each erasure is its own transaction and skips a contact already erased: a run
    # stopped halfway and run again erases the rest, never one twice.
    erased = await retention.apply()
    if erased:
        log.info("erased %d contact(s) past their organization's retention", erased)
    return erased
