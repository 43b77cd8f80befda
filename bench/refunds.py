"""Batch refunds: `paymentsBulkRefund` over N card payments (10,000 by default) against
the fake payment provider, run by a real arq worker (in this process, so the fake
provider's log is readable), against the same rows inserted directly in one transaction
(refunds, their credit notes and ledger entries). Prints refunds/s, the ratio, and memory.

    .venv/bin/python bench/refunds.py [--payments N]
        [--database-url postgres://USER@HOST:PORT/DB] [--redis-url redis://HOST:PORT/N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from datetime import UTC, datetime

from arq.worker import Worker
from harness import backend_name, check_checkout, isolated_settings
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from tortoise.transactions import in_transaction

from carnet.db import tortoise_config
from carnet.providers.payments import FAKE
from carnet.web.app import create_app
from jobs.worker import worker_settings
from models.accounts import ClientAccount
from models.billing import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Refund,
    RefundStatus,
)
from models.bulk import BulkOperation
from models.contacts import Contact
from models.identity import User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.billing import bulk_refunds
from resolvers.common.actor import Actor
from resolvers.common.time import now

AMOUNT = 2500
args_max_jobs = 10


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def seed(count: int) -> tuple[Actor, list[int]]:
    organization = await Organization.create(name="Bench club")
    user = await User.create(email="owner@bench.test", password_hash="")
    membership = await StaffMembership.create(
        organization=organization, user=user, role=Role.OWNER, status=MembershipStatus.ACTIVE
    )
    holder = await Contact.create(organization=organization, first_name="Bench", last_name="H")
    account = await ClientAccount.create(
        organization=organization, name="Bench", primary_contact=holder
    )
    moment, invoices = now(), []
    for start in range(0, count, 1000):
        size = min(1000, count - start)
        await Invoice.bulk_create(
            [
                Invoice(
                    organization=organization,
                    account=account,
                    number=start + i + 1,
                    status=InvoiceStatus.PAID,
                    currency="CAD",
                    subtotal=AMOUNT,
                    total=AMOUNT,
                    amount_paid=AMOUNT,
                )
                for i in range(size)
            ]
        )
    invoices = (
        await Invoice.filter(organization=organization).order_by("id").values_list("id", flat=True)
    )
    for start in range(0, count, 1000):
        await Payment.bulk_create(
            [
                Payment(
                    organization=organization,
                    account=account,
                    invoice_id=invoice_id,
                    method=PaymentMethod.CARD,
                    amount=AMOUNT,
                    currency="CAD",
                    reference=f"ch_bench_{invoice_id}",
                    received_at=moment,
                )
                for invoice_id in invoices[start : start + 1000]
            ]
        )
    payments = await Payment.filter(organization=organization).values_list("id", flat=True)
    return Actor(user, organization, membership), list(payments)


async def run_worker(settings) -> None:
    options = worker_settings(settings)
    options["ctx"] = {**options["ctx"], "manage_db": False}
    options.update(burst=True, poll_delay=0.05, handle_signals=False, max_jobs=args_max_jobs)
    worker = Worker(**options)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def engine(actor: Actor, payments: list[int], settings) -> dict:
    samples: list[float] = []

    async def sample() -> None:
        while True:
            samples.append(rss_mb())
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    operation = await bulk_refunds.start(
        actor, bulk_refunds.PaymentTarget(payment_ids=payments), None, None, "Bench"
    )
    while await Refund.filter(status=RefundStatus.PENDING).exists() or (
        await BulkOperation.get(id=operation.id)
    ).state not in ("COMPLETED", "FAILED", "CANCELED"):
        await run_worker(settings)
    seconds = time.perf_counter() - started
    sampler.cancel()
    succeeded = await Refund.filter(status=RefundStatus.SUCCEEDED).count()
    from models.tasks import Task

    retried = await Task.filter(attempts__gt=1).count()
    quarter = samples[len(samples) // 4] if samples else rss_mb()
    return {
        "seconds": round(seconds, 2),
        "refunds": succeeded,
        "refunds_per_second": round(succeeded / seconds, 1),
        "provider_refunds": len(FAKE.refunds),
        "tasks_retried": retried,
        "provider_calls": sum(1 for c in FAKE.calls if c[0] == "refund"),
        "rss_mb_at_quarter": round(quarter, 1),
        "rss_mb_at_end": round(rss_mb(), 1),
    }


async def raw(actor: Actor, payments: list[int]) -> dict:
    """The rows a refund writes, inserted directly: no checks, no provider, no job."""
    moment = now()
    rows = await Payment.filter(id__in=payments).values_list("id", "invoice_id")
    started = time.perf_counter()
    async with in_transaction():
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            await Refund.bulk_create(
                [
                    Refund(
                        organization_id=actor.organization_id,
                        payment_id=pid,
                        amount=AMOUNT,
                        currency="CAD",
                        reason="Raw",
                        idempotency_key=f"raw-{pid}",
                        status=RefundStatus.SUCCEEDED,
                        completed_at=moment,
                    )
                    for pid, _ in batch
                ]
            )
            await CreditNote.bulk_create(
                [
                    CreditNote(
                        organization_id=actor.organization_id,
                        invoice_id=iid,
                        amount=AMOUNT,
                        currency="CAD",
                        reason="Raw",
                    )
                    for _, iid in batch
                ]
            )
            account_id = (await Payment.get(id=batch[0][0])).account_id
            await LedgerEntry.bulk_create(
                [
                    LedgerEntry(
                        organization_id=actor.organization_id,
                        account_id=account_id,
                        kind=kind,
                        amount=sign * AMOUNT,
                        currency="CAD",
                        source_type="Raw",
                        source_id=pid,
                        invoice_id=iid,
                    )
                    for pid, iid in batch
                    for kind, sign in ((LedgerKind.CREDIT_NOTE, -1), (LedgerKind.REFUND, 1))
                ]
            )
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "rows_per_second": round(len(rows) / seconds, 1)}


async def measure(args: argparse.Namespace) -> dict:
    async with isolated_settings(args.database_url, args.redis_url) as settings:
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            actor, payments = await seed(args.payments)
            FAKE.reset()
            engine_figures = await engine(actor, payments, settings)
            raw_figures = await raw(actor, payments)
            backend = backend_name(settings)
    ratio = raw_figures["rows_per_second"] / engine_figures["refunds_per_second"]
    return {
        "bench": "refunds",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "backend": backend,
        "payments": args.payments,
        "engine": engine_figures,
        "raw_inserts": raw_figures,
        "raw_over_engine": round(ratio, 1),
    }


def main() -> None:
    check_checkout()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    result = asyncio.run(measure(parser.parse_args()))
    engine_figures = result["engine"]
    print(
        f"{result['payments']:,} card payments on {result['backend']}: "
        f"{engine_figures['refunds_per_second']} refunds/s through paymentsBulkRefund and the "
        f"worker ({engine_figures['seconds']} s), raw inserts {result['raw_over_engine']}× "
        f"faster; provider refunds {engine_figures['provider_refunds']} for "
        f"{engine_figures['refunds']} refunds; RSS {engine_figures['rss_mb_at_quarter']} → "
        f"{engine_figures['rss_mb_at_end']} MB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
