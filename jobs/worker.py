"""arq WorkerSettings: the job registry, crons, and the database lifecycle.

Timeouts are chosen, not inherited: jobs are short (one email, one chunk), so 60 s is
generous and a killed worker's job is picked up again soon after; 4 tries; results kept
a day so `_job_id` keeps deduplicating re-enqueues for that long.
"""

from __future__ import annotations

import logging

from arq import cron
from tortoise import Tortoise

from carnet import queue
from carnet.db import tortoise_config
from carnet.job_runs import observed
from carnet.settings import Settings, configure, current_settings
from jobs.accounts import send_account_invitation
from jobs.billing import (
    charge_subscription_period,
    generate_tax_receipts,
    render_invoice_pdf,
    render_statement_pdf,
    renew_subscriptions,
    submit_refund,
    submit_refunds,
)
from jobs.bulk import bulk_chunk, bulk_freeze
from jobs.maintenance import purge_outbox, purge_sign_in_attempts, purge_tasks, sweep_tasks
from jobs.messaging import send_email, send_messages, send_sms, start_scheduled_messages
from jobs.privacy import apply_retention, build_privacy_export, purge_privacy_export_files
from jobs.staff import apply_scheduled_deactivations, send_invitation
from jobs.teams import bill_team, bill_teams, send_team_invitation
from jobs.transfers import export_contacts, import_contacts, purge_contact_export_files

log = logging.getLogger("carnet.worker")


async def startup(ctx: dict) -> None:
    settings: Settings = ctx.get("settings") or current_settings()
    configure(settings)
    ctx["settings"] = settings
    # A burst worker inside the test process shares the database already open there.
    if ctx.get("manage_db", True):
        await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
        queue.use(ctx["redis"], settings.queue_name)


async def shutdown(ctx: dict) -> None:
    if ctx.get("manage_db", True):
        await Tortoise.close_connections()


def cron_jobs(prefix: str) -> list:
    def scheduled(job, *, at_startup: bool = True, **when) -> object:
        # Named per deployment: arq's cron job ids are global to the Redis database.
        name = f"{prefix}:{job.__name__}"
        return cron(observed(job), name=name, run_at_startup=at_startup, unique=True, **when)

    return [
        scheduled(sweep_tasks, second={0, 30}),
        # Hourly: a date starts at a different hour in each organization's timezone.
        scheduled(apply_scheduled_deactivations, minute=5, second=0),
        # Twice a minute: a scheduled message starts within 30 s of its time.
        scheduled(start_scheduled_messages, second={15, 45}),
        # Hourly: an export's file is deleted within the hour its retention ends.
        scheduled(purge_contact_export_files, minute=35, second=0),
        # Hourly: billing dates are days, and a declined charge is retried days later.
        scheduled(bill_teams, minute=25, second=0),
        # Hourly: a subscription renews (or goes past due, or expires) within the hour its
        # period ends or its invoice falls due.
        scheduled(renew_subscriptions, minute=20, second=0),
        # Hourly: an archive is deleted within the hour its retention ends.
        scheduled(purge_privacy_export_files, minute=40, second=0),
        # Hourly: these retentions are counted in days.
        scheduled(purge_tasks, minute=45, second=0),
        scheduled(purge_outbox, minute=50, second=0),
        scheduled(purge_sign_in_attempts, minute=55, second=0),
        # Daily: retention is counted in days.
        scheduled(apply_retention, at_startup=False, hour=3, minute=20, second=0),
    ]


class WorkerSettings:
    """The job registry and lifecycle; `worker_settings()` adds what comes from settings."""

    # observed(): counted in Redis for /metrics, failures logged (carnet/job_runs.py).
    functions = [
        observed(job)
        for job in (
            send_email,
            send_invitation,
            export_contacts,
            import_contacts,
            send_account_invitation,
            bulk_chunk,
            bulk_freeze,
            send_team_invitation,
            send_sms,
            submit_refund,
            submit_refunds,
            generate_tax_receipts,
            render_statement_pdf,
            render_invoice_pdf,
            send_messages,
            build_privacy_export,
            charge_subscription_period,
            bill_team,
        )
    ]
    cron_jobs = cron_jobs("carnet")
    on_startup = startup
    on_shutdown = shutdown
    handle_signals = True


def worker_settings(settings: Settings) -> dict:
    """Keyword arguments for `arq.Worker` (`carnet worker`, and tests in burst mode)."""
    return {
        "functions": WorkerSettings.functions,
        "cron_jobs": cron_jobs(settings.redis_prefix),
        "on_startup": WorkerSettings.on_startup,
        "on_shutdown": WorkerSettings.on_shutdown,
        "handle_signals": WorkerSettings.handle_signals,
        "redis_settings": queue.redis_settings(settings),
        "queue_name": settings.queue_name,
        "job_timeout": settings.job_timeout_seconds,
        "max_tries": settings.job_max_tries,
        "keep_result": settings.job_keep_result_seconds,
        "ctx": {"settings": settings},
    }
