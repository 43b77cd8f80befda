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
    # Hourly: queues a `bill_team` task per billing account (see `billing_runs.queue_all`).
    return await team_billing.queue_all()


async def bill_team(ctx: dict, task_id: int) -> None:
    # One billing account. Each charge is keyed (renewal per period, proration per seat,
    # period and type) in the transaction writing its invoice, and cards are charged under
    # a key of the charge and its attempt: run twice, or killed and rerun, it invoices and
    # charges once (tests/teams/test_billing_sigkill.py kills a worker mid-charge).
    settings = ctx["settings"]

    async def body(billing_id: int) -> int:
        return await team_billing.bill(billing_id, settings)

    await run_job(ctx, task_id, body)
