"""Team jobs: mailing team invitations, and billing teams (a cron)."""

from __future__ import annotations

from resolvers.common.tasks import run_job
from resolvers.teams import billing_runs as team_billing
from resolvers.teams import invitations


async def send_team_invitation(ctx: dict, task_id: int) -> None:
    # `invitations.send` does nothing once the latest send asked for was made: a rerun
    # mails nothing more.
    await run_job(ctx, task_id, invitations.send)


async def bill_teams(ctx: dict) -> int:
    # Each charge is keyed (renewal per period, proration per seat, period and type) in
    # the transaction writing its invoice, and cards are charged under a key of the charge
    # and its attempt: run twice, or killed and rerun, it invoices and charges once.
    return await team_billing.run_all(ctx["settings"])
