"""Client-account jobs: mailing activation invitations."""

from __future__ import annotations

from resolvers.accounts import activation
from resolvers.common.tasks import run_task


async def send_account_invitation(ctx: dict, task_id: int) -> None:
    await run_task(task_id, activation.send, ctx["settings"].job_max_tries, ctx["job_try"])
