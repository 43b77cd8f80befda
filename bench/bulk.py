"""Bulk operations on the engine: `contactsBulkGroupAdd` and `contactsBulkColourSet` on every
contact of an organization, run by real worker processes, against one raw SQL statement
doing the same change to the same rows in the same run.

    /tmp/venv/bin/python bench/bulk.py [--contacts N] [--workers 2]
        [--database-url postgres://USER@HOST:PORT/DB] [--redis-url redis://HOST:PORT/N]

100,000 contacts by default; 1,000,000 on PostgreSQL (`--database-url`, or
CARNET_DATABASE_URL when it names a PostgreSQL server: a throwaway database is created on
it and dropped at the end). Prints a table, then one JSON line. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from arq.jobs import Job
from asgi_client import AsgiClient
from harness import (
    REPO_ROOT,
    backend_name,
    carnet_env,
    free_port,
    isolated_settings,
    run_benchmark,
    stop_process,
)
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from carnet import queue
from carnet.auth import hash_password
from carnet.db import tortoise_config
from carnet.settings import Settings, current_settings
from carnet.web.app import create_app
from models.bulk import BulkOperation, BulkOperationState
from models.colours import Colour
from models.groups import Group
from models.identity import User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from models.tasks import Task
from resolvers.common.actor import RequestMeta
from resolvers.common.tasks import job_id
from resolvers.common.time import now
from resolvers.identity.sessions import start_session
from schema import build_schema, ids

DEFAULT_CONTACTS = 100_000
DEFAULT_CONTACTS_POSTGRES = 1_000_000
SEED_BATCH = 50_000
POLL_SECONDS = 0.2
# arq logs every job it will retry: "  0.26s ↻ <job id>:<function> retrying job in 10.00s"
JOB_RETRIED = re.compile(r"↻ (\S+):(\S+) retrying")

GROUP_ADD = """mutation($input: ContactsBulkGroupInput!) {
  contactsBulkGroupAdd(input: $input) { operation { id total } errors { code field message } } }"""
COLOUR_SET = """mutation($input: ContactsBulkColourSetInput!) {
  contactsBulkColourSet(input: $input) { operation { id total } errors { code field message } } }"""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Seeded:
    organization: Organization
    token: str
    groups: tuple[Group, Group]  # the engine's, the raw statement's
    colours: tuple[Colour, Colour]
    contacts: int
    seconds: float


@dataclass
class ActionFigures:
    action: str
    records: int
    engine_seconds: float  # the mutation's request until the operation is COMPLETED
    freeze_seconds: float  # the mutation's request alone: target frozen, chunks queued
    operation_seconds: float  # created_at → finished_at, as the operation recorded it
    records_per_second: float
    raw_seconds: float  # one SQL statement, same rows, same change
    ratio_engine_over_raw: float
    state: str  # COMPLETED, unless chunks were given up
    chunks: int  # chunk jobs with a result (a retried chunk: its last run)
    chunk_retries: int  # chunk runs that failed and were retried (arq's ↻ lines)
    chunk_p50_ms: float | None
    chunk_p95_ms: float | None
    worker_rss_mb_before: list[float]
    worker_peak_rss_mb: list[float]
    counts: dict = field(default_factory=dict)


# Seeding ---------------------------------------------------------------------------------

CONTACT_COLUMNS = (
    "organization_id, kind, first_name, last_name, organization_name, sort_name, "
    "search_text, locale, address_line1, address_line2, city, region, postal_code, country, "
    "notes, source, do_not_contact, email_consent, sms_consent, created_at, updated_at"
)


def _seed_sql(dialect: str) -> str:
    """Contacts first..last in one statement, never read into Python."""
    values = (
        "{org}, 'PERSON', 'Bench', 'Contact ' || n, '', 'contact ' || n || ' bench', "
        "'bench contact ' || n, 'en', '', '', '', '', '', '', '', 'STAFF_ENTRY', {false}, "
        "'NOT_ASKED', 'NOT_ASKED', {at}, {at}"
    )
    if dialect == "postgres":
        values = values.format(org="$1", false="false", at="$4")
        return (f"INSERT INTO contact ({CONTACT_COLUMNS}) SELECT {values} "
                "FROM generate_series($2::bigint, $3::bigint) AS n")
    values = values.format(org="?", false="0", at="?")
    return (f"WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
            f"INSERT INTO contact ({CONTACT_COLUMNS}) SELECT {values} FROM seq")


async def seed(count: int) -> Seeded:
    started = time.perf_counter()
    user = await User.create(email="bench-bulk@carnet.test", first_name="Bench",
                             last_name="Bulk", password_hash=await hash_password("bench password"),
                             email_verified_at=now())
    organization = await Organization.create(name="Bench Bulk", timezone="America/Toronto")
    await StaffMembership.create(organization=organization, user=user, role=Role.OWNER,
                                 status=MembershipStatus.ACTIVE)
    issued = await start_session(user, "bench", RequestMeta(), current_settings())
    groups = (await Group.create(organization=organization, name="Engine"),
              await Group.create(organization=organization, name="Raw"))
    colours = (await Colour.create(organization=organization, name="Engine", hex="#1e90ff"),
               await Colour.create(organization=organization, name="Raw", hex="#ff8c00"))
    connection = connections.get("default")
    dialect = connection.capabilities.dialect
    sql = _seed_sql(dialect)
    at = now()
    for first in range(1, count + 1, SEED_BATCH):
        last = min(first + SEED_BATCH - 1, count)
        if dialect == "postgres":
            parameters = [organization.id, first, last, at]
        else:
            stamp = at.isoformat(sep=" ")
            parameters = [first, last, organization.id, stamp, stamp]
        await connection.execute_query(sql, parameters)
        progress(f"  seeded {last:,} contacts")
    if dialect == "postgres":
        await connection.execute_script("VACUUM ANALYZE contact")
    return Seeded(organization, issued.access_token, groups, colours, count,
                  time.perf_counter() - started)


# Workers ---------------------------------------------------------------------------------

@dataclass
class Worker:
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rss_mb(self, key: str) -> float:
        """VmRSS (now) or VmHWM (peak since the process started), from /proc (Linux)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def reset_peak(self) -> None:
        """Makes VmHWM restart from the current RSS (Linux 4.0+), so each action's peak is
        its own."""
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            pass


def _spawn_worker(env: dict[str, str], log_path: Path) -> Worker:
    # A session of its own: Ctrl-C reaches only the bench, which then stops the workers.
    # BENCH_WORKER_PROFILE=DIR: each worker runs under cProfile, its stats written to
    # DIR/<log name>.prof when it is stopped.
    profile = os.environ.get("BENCH_WORKER_PROFILE")
    wrap = ["-m", "cProfile", "-o", f"{profile}/{log_path.stem}.prof"] if profile else []
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, *wrap, "-m", "carnet.cli", "worker"], env=env, cwd=log_path.parent,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    return Worker(process, log_path)


def _copy_logs(pool: list[Worker], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for worker in pool:
        shutil.copy(worker.log_path, folder / worker.log_path.name)


@asynccontextmanager
async def workers(settings: Settings, count: int, keep_logs: Path | None):
    env = {**carnet_env(settings, free_port()),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    started: list[Worker] = []
    try:
        for number in range(count):
            started.append(_spawn_worker(env, settings.var_dir / f"worker-{number}.log"))
        deadline = time.monotonic() + 30
        for worker in started:
            while "Starting worker for" not in worker.log():
                if worker.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"a worker did not start:\n{worker.log()[-2000:]}")
                await asyncio.sleep(0.1)
        yield started
    finally:
        for worker in started:
            stop_process(worker.process, timeout=30)
        if keep_logs is not None:
            _copy_logs(started, keep_logs)


def retried_runs(pool: list[Worker], function: str, skip_lines: list[int]) -> int:
    """Runs of `function` that failed and were retried since `skip_lines` log lines."""
    retries = 0
    for worker, skip in zip(pool, skip_lines, strict=True):
        for line in worker.log().splitlines()[skip:]:
            retried = JOB_RETRIED.search(line)
            retries += bool(retried and retried.group(2) == function)
    return retries


async def chunk_latencies(operation_id: int) -> list[float]:
    """Each chunk job's run, start to finish, as arq recorded it in the job's result."""
    redis = queue.pool()
    found = []
    for task in await Task.filter(function=CHUNK_JOB):
        if task.args and task.args[0] == operation_id:
            info = await Job(job_id(task), redis).result_info()
            if info is not None:
                found.append((info.finish_time - info.start_time).total_seconds())
    return found


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


# Measuring -------------------------------------------------------------------------------

async def run_operation(client: AsgiClient, mutation: str, name: str, variables: dict) -> int:
    answer = (await client.post_json("/graphql", {"query": mutation, "variables": variables}))
    body = answer.json()
    payload = (body.get("data") or {}).get(name)
    if answer.status != 200 or not payload or payload["errors"] or not payload["operation"]:
        raise RuntimeError(f"{name} failed: {answer.status} {body}")
    return ids.decode_as(payload["operation"]["id"], "BulkOperation")


async def until_finished(operation_id: int, give_up_after: float) -> BulkOperation:
    deadline = time.monotonic() + give_up_after
    while True:
        operation = await BulkOperation.get(id=operation_id)
        if operation.finished_at is not None:  # its last chunk has settled it
            return operation
        if time.monotonic() > deadline:
            raise RuntimeError(f"operation {operation_id} still {operation.state} after "
                               f"{give_up_after:.0f}s ({operation.processed}/{operation.total})")
        await asyncio.sleep(POLL_SECONDS)


async def raw_statement(sql: str, parameters: list) -> float:
    connection = connections.get("default")
    started = time.perf_counter()
    async with connection._in_transaction() as transaction:
        await transaction.execute_query(sql, parameters)
    return time.perf_counter() - started


def _raw_sql(action: str, dialect: str) -> str:
    p = "$%d" if dialect == "postgres" else "?"
    one, two = (p % 1, p % 2) if dialect == "postgres" else (p, p)
    if action == "contactsBulkColourSet":
        return f"UPDATE contact SET colour_id = {one}, updated_at = CURRENT_TIMESTAMP " \
               f"WHERE organization_id = {two}"
    return ("INSERT INTO contact_group_member (group_id, contact_id, added_at) "
            f"SELECT {one}, id, CURRENT_TIMESTAMP FROM contact WHERE organization_id = {two}")


async def measure_action(action: str, mutation: str, variables: dict, raw_parameters: list,
                         client: AsgiClient, pool: list[Worker],
                         give_up_after: float) -> ActionFigures:
    dialect = connections.get("default").capabilities.dialect
    for worker in pool:
        worker.reset_peak()
    before = [round(w.rss_mb("VmRSS"), 1) for w in pool]
    skip = [len(w.log().splitlines()) for w in pool]
    progress(f"{action}: engine, {len(pool)} workers")
    started = time.perf_counter()
    operation_id = await run_operation(client, mutation, action, variables)
    freeze_seconds = time.perf_counter() - started
    operation = await until_finished(operation_id, give_up_after)
    engine_seconds = time.perf_counter() - started
    if BulkOperationState(operation.state) is not BulkOperationState.COMPLETED:
        progress(f"{action} ended {operation.state}: its figures are not a success's")
    peaks = [round(w.rss_mb("VmHWM"), 1) for w in pool]
    await asyncio.sleep(1.5)  # arq writes a job's log line after its result
    timings = await chunk_latencies(operation_id)
    retries = retried_runs(pool, CHUNK_JOB, skip)
    progress(f"{action}: raw SQL")
    raw_seconds = await raw_statement(_raw_sql(action, dialect), raw_parameters)
    operation_seconds = (operation.finished_at - operation.created_at).total_seconds()
    return ActionFigures(
        action=action,
        records=operation.total,
        engine_seconds=engine_seconds,
        freeze_seconds=freeze_seconds,
        operation_seconds=operation_seconds,
        records_per_second=operation.total / engine_seconds,
        raw_seconds=raw_seconds,
        ratio_engine_over_raw=engine_seconds / raw_seconds,
        state=str(operation.state.value),
        chunks=len(timings),
        chunk_retries=retries,
        chunk_p50_ms=_ms(percentile(timings, 0.50)),
        chunk_p95_ms=_ms(percentile(timings, 0.95)),
        worker_rss_mb_before=before,
        worker_peak_rss_mb=peaks,
        counts={"processed": operation.processed, "succeeded": operation.succeeded,
                "skipped": operation.skipped, "failed": operation.failed},
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# The chunk job's function name, as arq logs it.
CHUNK_JOB = "bulk_chunk"


def all_contacts(organization_gid: str) -> dict:
    """The whole address book, as "select all matching" gives it."""
    return {"organizationId": organization_gid, "target": {"search": ""}}


async def measure(args: argparse.Namespace) -> dict:
    async with isolated_settings(args.database_url, args.redis_url) as settings:
        backend = backend_name(settings)
        progress(f"backend: {backend}; migrating {settings.var_dir}")
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        app = create_app(settings)
        mutations = set(build_schema(settings)._schema.mutation_type.fields)
        async with app.router.lifespan_context(app), AsyncExitStack() as stack:
            progress(f"seeding {args.contacts:,} contacts")
            seeded = await seed(args.contacts)
            progress(f"seeded in {seeded.seconds:.1f}s; starting {args.workers} workers")
            pool = await stack.enter_async_context(workers(settings, args.workers, args.keep_logs))
            client = AsgiClient(app, {"authorization": f"Bearer {seeded.token}"})
            org = ids.encode("Organization", seeded.organization.id)
            engine_group, raw_group = seeded.groups
            engine_colour, raw_colour = seeded.colours
            runs = [
                ("contactsBulkGroupAdd", GROUP_ADD, "groupId",
                 ids.encode("Group", engine_group.id), raw_group.id),
                ("contactsBulkColourSet", COLOUR_SET, "colourId",
                 ids.encode("Colour", engine_colour.id), raw_colour.id),
            ]
            figures, missing = [], []
            for action, mutation, argument, engine_value, raw_value in runs:
                if action not in mutations:
                    missing.append(action)
                    progress(f"{action}: not in this schema, skipped")
                    continue
                variables = {"input": {**all_contacts(org), argument: engine_value}}
                figures.append(await measure_action(
                    action, mutation, variables, [raw_value, seeded.organization.id], client,
                    pool, args.timeout))
    return {
        "bench": "bulk",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "backend": backend,
        "contacts": args.contacts,
        "workers": args.workers,
        "seed_seconds": round(seeded.seconds, 1),
        "actions": [asdict(f) for f in figures],
        "skipped_actions": missing,
    }


def print_report(result: dict) -> None:
    print(f"\nCarnet bulk operations — {result['contacts']:,} contacts, {result['workers']} "
          f"workers, {result['backend']}; {result['machine']['cpus']} CPUs\n")
    print(f"{'action':<22} {'records':>9} {'engine s':>9} {'(freeze s)':>10} {'records/s':>10} "
          f"{'raw s':>7} "
          f"{'engine/raw':>10} {'chunks':>7} {'retried':>7} {'chunk p50/p95 ms':>17} "
          f"{'worker RSS MB before → peak':>28}")
    for a in result["actions"]:
        rss = ", ".join(f"{b:.0f}→{p:.0f}" for b, p in
                        zip(a["worker_rss_mb_before"], a["worker_peak_rss_mb"], strict=True))
        chunk = f"{a['chunk_p50_ms']} / {a['chunk_p95_ms']}"
        print(f"{a['action']:<22} {a['records']:>9,} {a['engine_seconds']:>9.1f} "
              f"{a['freeze_seconds']:>10.1f} "
              f"{a['records_per_second']:>10,.0f} {a['raw_seconds']:>7.2f} "
              f"{a['ratio_engine_over_raw']:>9.1f}× {a['chunks']:>7} {a['chunk_retries']:>7} "
              f"{chunk:>17} {rss:>28}  {a['state']}")
    print()
    print(json.dumps(result, separators=(",", ":")), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    environment_url = os.environ.get("CARNET_DATABASE_URL", "")
    parser.add_argument("--contacts", type=int, default=None,
                        help=f"contacts in the organization (default {DEFAULT_CONTACTS:,}; "
                        f"{DEFAULT_CONTACTS_POSTGRES:,} on PostgreSQL)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds an operation may take before the run gives up")
    parser.add_argument("--database-url",
                        default=environment_url if environment_url.startswith("postgres") else "",
                        help="a PostgreSQL server to create a throwaway database on "
                        "(default: CARNET_DATABASE_URL if PostgreSQL, else SQLite in a "
                        "temporary folder)")
    parser.add_argument("--keep-logs", type=Path, default=None, metavar="DIR",
                        help="copy the workers' logs (arq's job lines) into DIR at the end")
    parser.add_argument("--redis-url", default="",
                        help="a Redis to share under a unique key prefix "
                        "(default: an embedded redis-server)")
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a postgres:// URL")
    if args.contacts is None:
        args.contacts = DEFAULT_CONTACTS_POSTGRES if args.database_url else DEFAULT_CONTACTS
    if args.contacts < 1 or args.workers < 1:
        parser.error("--contacts and --workers must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    return run_benchmark(parse_args(argv), measure, print_report)


if __name__ == "__main__":
    sys.exit(main())
