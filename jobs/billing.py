"""Billing jobs: card refunds handed to the payment provider, exactly once."""

from __future__ import annotations

from resolvers.billing import bulk_refunds, refunds, renewals, statement_files, tax_receipts
from resolvers.common.tasks import run_job


async def submit_refund(ctx: dict, task_id: int) -> None:
    # `refunds.submit` calls the provider with the refund's own key and does nothing once
    # the refund is no longer PENDING: a rerun, or a run after a kill, refunds once.
    await run_job(ctx, task_id, refunds.submit)


async def submit_refunds(ctx: dict, task_id: int) -> None:
    # A batch refund's chunk: `refunds.submit` for each of its card refunds still PENDING.
    await run_job(ctx, task_id, bulk_refunds.submit_chunk)


async def generate_tax_receipts(ctx: dict, task_id: int) -> None:
    # Each receipt is written under a key of its year, member and payer: a rerun rewrites
    # the same documents, never adds one.
    await run_job(ctx, task_id, tax_receipts.generate)


async def render_statement_pdf(ctx: dict, task_id: int) -> None:
    # Renders into the task's own storage key (replaced, never duplicated, by a rerun).
    await run_job(ctx, task_id, statement_files.render_job(task_id))


async def render_invoice_pdf(ctx: dict, task_id: int) -> None:
    await run_job(ctx, task_id, statement_files.render_invoice_job(task_id))


async def renew_subscriptions(ctx: dict) -> int:
    """Cron: renews the subscriptions whose period ended, moves unpaid ones to PAST_DUE and
    then EXPIRED, ends those canceled at the period's end (each step once, however many
    runs: see resolvers/billing/renewals.py)."""
    return await renewals.run_due()


async def charge_subscription_period(ctx: dict, task_id: int) -> None:
    # The provider key is the period's: a rerun (or a run after a kill) charges once.
    await run_job(ctx, task_id, renewals.charge_period)
