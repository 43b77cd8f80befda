"""Team jobs: mailing team invitations."""

from __future__ import annotations

from resolvers.common.tasks import run_job
from resolvers.teams import invitations


async def send_team_invitation(ctx: dict, task_id: int) -> None:
    # `invitations.send` does nothing once the latest send asked for was made: a rerun
    # mails nothing more.
    await run_job(ctx, task_id, invitations.send)
