"""Bulk operations on a big target: contactsBulkGroupAdd and contactsBulkColourSet on every
contact of an organization, run by `carnet worker` subprocesses, against one raw SQL
statement doing the same change to the same rows in the same run.

    python bench/bulk.py                         # 100,000 contacts, SQLite, embedded Redis
    python bench/bulk.py --database-url postgres://postgres@127.0.0.1:5432/test \\
        --redis-url redis://127.0.0.1:6379/0     # 1,000,000 contacts by default

Prints, per action: the start (freezing the target, cutting chunks, queuing their jobs),
the run (first chunk started to operation finished), records/s, chunk latency p50/p95
(from arq's job results), each worker's peak RSS, and the ratio of the engine's time to
the raw statement's. The last line of stdout is one JSON object with all of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import quantiles

from arq.jobs import Job
from harness import (
    _spawn,
    backend_name,
    carnet_env,
    check_checkout,
    free_port,
    isolated_settings,
    stop_process,
)
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from carnet import queue
from carnet.db import tortoise_config
from carnet.web.app import create_app
from models.bulk import BulkOperation, BulkOperationKind
from models.colours import Colour
from models.groups import Group
from models.identity import User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from models.tasks import Task
from resolvers.bulk.contact_targets import ContactTarget
from resolvers.colours import bulk as colour_bulk
from resolvers.common.actor import Actor
from resolvers.common.tasks import job_id
from resolvers.common.time import now
from resolvers.contacts.search import ContactFilter
from resolvers.groups import bulk as group_bulk


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def seed(organization_id: int, count: int) -> float:
    """`count` contacts in one INSERT … SELECT; its seconds."""
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    numbers = (
        f"generate_series(1, {int(count)}) AS n(i)"
        if postgres
        else f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < "
        f"{int(count)}) SELECT i FROM s) AS n"
    )
    slot = "$1" if postgres else "?"
    started = time.perf_counter()
    await connection.execute_query(
        "INSERT INTO contact (created_at, updated_at, organization_id, kind, first_name, "
        "last_name, organization_name, sort_name, search_text, locale, address_line1, "
        "address_line2, city, region, postal_code, country, notes, source, do_not_contact, "
        "email_consent, sms_consent) "
        f"SELECT {slot}, {slot}, {int(organization_id)}, 'PERSON', 'Bench', 'P' || n.i, '', "
        "'p' || n.i, 'bench p' || n.i, 'en', '', '', '', '', '', '', '', 'STAFF_ENTRY', FALSE, "
        f"'NOT_ASKED', 'NOT_ASKED' FROM {numbers}",
        [now()] if postgres else [now(), now()],
    )
    if postgres:
        await connection.execute_script("ANALYZE contact")
    return time.perf_counter() - started


async def owner_actor() -> Actor:
    organization = await Organization.create(name="Bench club", timezone="America/Toronto")
    user = await User.create(
        email="bench-bulk@carnet.test",
        first_name="Bench",
        password_hash="!",
        email_verified_at=now(),
    )
    membership = await StaffMembership.create(
        organization=organization, user=user, role=Role.OWNER, status=MembershipStatus.ACTIVE
    )
    return Actor(user, organization, membership)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def chunk_latencies(operation: BulkOperation) -> list[float]:
    pool = queue.pool()
    found = []
    for task in await Task.filter(function="bulk_chunk"):
        if task.args[0] != operation.id:
            continue
        info = await Job(job_id(task), pool).result_info()
        if info is not None:
            found.append((info.finish_time - info.start_time).total_seconds())
    return found


async def raw_baseline(kind: str, organization_id: int, other_id: int) -> float:
    """The same change to the same rows, as one statement."""
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    slot = "$1" if postgres else "?"
    started = time.perf_counter()
    if kind == BulkOperationKind.CONTACT_COLOUR_SET:
        await connection.execute_query(
            f"UPDATE contact SET colour_id = {int(other_id)}, updated_at = {slot} "
            f"WHERE organization_id = {int(organization_id)} AND archived_at IS NULL",
            [now()],
        )
    else:
        await connection.execute_query(
            "INSERT INTO contact_group_member (group_id, contact_id, added_at) "
            f"SELECT {int(other_id)}, id, {slot} FROM contact "
            f"WHERE organization_id = {int(organization_id)} AND archived_at IS NULL",
            [now()],
        )
    return time.perf_counter() - started


async def run_action(args, settings, actor: Actor, kind: str) -> dict:
    organization_id = actor.organization_id
    everyone = ContactTarget(filters=ContactFilter())
    if kind == BulkOperationKind.CONTACT_COLOUR_SET:
        mine = await Colour.create(organization_id=organization_id, name="Gold", hex="#ffd700")
        other = await Colour.create(organization_id=organization_id, name="Raw", hex="#000000")
        start = colour_bulk.start_colour_set(actor, everyone, mine.id)
    else:
        mine = await Group.create(organization_id=organization_id, name="Bench")
        other = await Group.create(organization_id=organization_id, name="Raw")
        start = group_bulk.start(actor, BulkOperationKind(kind), everyone, mine.id)
    progress(f"{kind}: starting")
    started = time.perf_counter()
    operation = await start
    start_seconds = time.perf_counter() - started
    progress(f"{kind}: {operation.total:,} records frozen and queued in {start_seconds:.1f}s")
    with ExitStack() as stack:
        workers, logs = [], []
        for index in range(args.workers):
            log = settings.var_dir / f"worker-{kind}-{index}.log"
            logs.append(log)
            process = _spawn(
                [sys.executable, "-m", "carnet.cli", "worker"],
                carnet_env(settings, free_port()),
                settings.var_dir,
                log,
            )
            stack.callback(stop_process, process)
            workers.append(process)
        ran = time.perf_counter()
        while True:
            operation = await BulkOperation.get(id=operation.id)
            if operation.finished_at is not None:
                break
            if any(w.poll() is not None for w in workers):
                raise RuntimeError(f"a worker exited: see {settings.var_dir}")
            await asyncio.sleep(0.2)
        run_seconds = time.perf_counter() - ran
        peaks = [peak_rss_mb(w.pid) for w in workers]
    # Jobs that raised and were retried (on SQLite: a writer that found the database locked).
    retries = sum(log.read_text(errors="replace").count(" ↻ ") for log in logs)
    if retries and args.show_retries:
        for log in logs:
            progress(
                "\n".join(line for line in log.read_text().splitlines() if "Error" in line)[:3000]
            )
    if operation.state != "COMPLETED" or operation.succeeded != operation.total:
        raise RuntimeError(f"{kind}: {operation.state}, {operation.succeeded}/{operation.total}")
    run_seconds = (operation.finished_at - operation.started_at).total_seconds() or run_seconds
    latencies = await chunk_latencies(operation)
    raw_seconds = await raw_baseline(kind, organization_id, other.id)
    cuts = quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    result = {
        "records": operation.total,
        "start_seconds": round(start_seconds, 2),
        "run_seconds": round(run_seconds, 2),
        "records_per_second": round(operation.total / run_seconds),
        "chunks": len(latencies),
        "chunk_p50_ms": round(cuts[9] * 1000, 1),
        "chunk_p95_ms": round(cuts[18] * 1000, 1),
        "worker_peak_rss_mb": [round(p) for p in peaks if p is not None],
        "retried_jobs": retries,
        "raw_statement_seconds": round(raw_seconds, 2),
        "ratio_engine_over_raw": round((start_seconds + run_seconds) / raw_seconds, 1),
    }
    progress(f"{kind}: {json.dumps(result)}")
    return result


async def main(args: argparse.Namespace) -> dict:
    count = args.count or (1_000_000 if args.database_url else 100_000)
    async with isolated_settings(args.database_url, args.redis_url) as settings:
        settings = settings.model_copy(update={"bulk_chunk_size": args.chunk_size})
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            actor = await owner_actor()
            progress(f"seeding {count:,} contacts")
            seeded = await seed(actor.organization_id, count)
            progress(f"seeded in {seeded:.1f}s")
            results = {}
            for kind in (BulkOperationKind.CONTACT_GROUP_ADD, BulkOperationKind.CONTACT_COLOUR_SET):
                results[kind.value] = await run_action(args, settings, actor, kind)
            await Tortoise.close_connections()
    report = {
        "backend": backend_name(settings),
        "contacts": count,
        "workers": args.workers,
        "chunk_size": args.chunk_size,
        "seed_seconds": round(seeded, 1),
        **results,
    }
    print_table(report)
    return report


def print_table(report: dict) -> None:
    print(
        f"{report['backend']}, {report['contacts']:,} contacts, {report['workers']} workers, "
        f"chunks of {report['chunk_size']}"
    )
    print(
        "| action | start s | run s | records/s | chunk p50 / p95 ms | worker peak RSS MB "
        "| raw statement s | engine / raw |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for kind in (BulkOperationKind.CONTACT_GROUP_ADD, BulkOperationKind.CONTACT_COLOUR_SET):
        r = report[kind.value]
        print(
            f"| {kind.value} | {r['start_seconds']} | {r['run_seconds']} | "
            f"{r['records_per_second']:,} | {r['chunk_p50_ms']} / {r['chunk_p95_ms']} | "
            f"{', '.join(str(p) for p in r['worker_peak_rss_mb'])} | "
            f"{r['raw_statement_seconds']} | {r['ratio_engine_over_raw']} |"
        )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="", help="a PostgreSQL server (else SQLite)")
    parser.add_argument("--redis-url", default="", help="a Redis server (else embedded)")
    parser.add_argument(
        "--count", type=int, default=0, help="contacts (100,000; 1,000,000 on PostgreSQL)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--show-retries", action="store_true", help="print the workers' errors")
    return parser.parse_args()


if __name__ == "__main__":
    check_checkout()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(json.dumps(asyncio.run(main(parse_args()))))
