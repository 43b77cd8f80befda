"""Staff jobs: mailing invitations, applying scheduled deactivations."""

from __future__ import annotations

import logging

from resolvers.common.tasks import run_task
from resolvers.staff import deactivation, invitations

log = logging.getLogger(__name__)


async def send_invitation(ctx: dict, task_id: int) -> None:
    await run_task(task_id, invitations.send, ctx["settings"].job_max_tries, ctx["job_try"])


async def apply_scheduled_deactivations(ctx: dict) -> int:
    applied = await deactivation.apply_scheduled()
    if applied:
        log.info("deactivated %d staff membership(s) whose date had come", applied)
    return applied
