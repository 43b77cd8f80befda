"""The CSV contact import at 100,000 clean rows, on the bulk-operation engine: its rows/s
against one raw executemany INSERT of the same contact rows, measured in the same run.

    .venv/bin/python bench/import.py [--rows 100000] [--database-url postgres://...]
        [--redis-url redis://...] [--chunk-rows 500] [--profile] [--cprofile FILE]

A throwaway database (SQLite file by default, or its own database on the PostgreSQL server
given) is migrated; one owner and one organization are made; the file is uploaded through
the import's own resolver (`request_import`: the same checks as the API) with every row
new (name, email, phone, city, two of five groups) and EXPRESS email consent declared, so
each row makes a contact, a consent record, two group memberships and its audit events.
The upload freezes the rows as the items of the import's CONTACT_IMPORT bulk operation;
its chunks (`chunks.run_chunk`, the `bulk_chunk` job's body) then run in this process, in
row order, exactly as a worker runs them, each one transaction that writes its rows'
contacts set-based and each row's result. `ms_per_row_before_engine` is the figure the
import measured before it ran on the engine (one chunk loop of its own), for the ratio.
The baseline copies the contact rows the import wrote into a second organization with one
executemany INSERT through the same driver. On PostgreSQL the run ANALYZEs every 5 s
(`--analyze-every`), as autovacuum would on a real server. `--profile` writes the import's
pyinstrument profile (text) to stderr; `--cprofile FILE` writes cProfile's statistics of the
chunks to FILE (read them with `pstats`). The last line of stdout is one JSON object with the
figures; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import time
from datetime import UTC, datetime

from harness import backend_name, check_checkout, isolated_settings
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from carnet.db import tortoise_config
from carnet.settings import configure, current_settings
from models.bulk import BulkOperation, BulkOperationChunk
from models.contacts import ConsentChannel, ConsentRecord, ConsentStatus, Contact
from models.groups import GroupMember
from models.identity import User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from models.transfers import ContactImport, ContactImportRowError, OnExisting, TransferStatus
from resolvers.bulk import chunks
from resolvers.common.actor import RequestMeta
from resolvers.organizations.access import actor_for
from resolvers.transfers import import_job
from resolvers.transfers.import_file import CsvEncoding
from resolvers.transfers.imports import ConsentDeclaration, request_import

IMPORT_CPU = 0.0  # this process's CPU seconds during the chunks (all of it on SQLite)
# ms per clean row before imports ran on the engine (2026-12, this machine, SQLite and
# PostgreSQL alike): the reference the "5x faster" target is measured against.
MS_PER_ROW_BEFORE_ENGINE = 1.7
UPLOAD_SECONDS = 0.0
GROUPS = ("Juniors", "Seniors", "Parents", "Coaches", "Volunteers")


# Tasks are deferred with no worker listening: the enqueue is meant to fail quietly here.
logging.getLogger("carnet.queue").disabled = True
logging.getLogger("resolvers.bulk.progress").disabled = True  # no subscriber either


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Upload:
    def __init__(self, data: bytes):
        self.data, self.filename = data, "bench.csv"

    async def read(self, size: int = -1) -> bytes:
        return self.data if size < 0 else self.data[:size]


def clean_file(rows: int) -> bytes:
    lines = ["First name,Last name,Email,Phone,City,Groups"]
    for i in range(rows):
        groups = f"{GROUPS[i % 5]}|{GROUPS[(i + 2) % 5]}"
        phone = f"+1514{2_000_000 + i:07d}"
        lines.append(f"Person{i},Family{i % 997},p{i}@bench.test,{phone},Montréal,{groups}")
    return ("\n".join(lines) + "\n").encode("utf-8")


async def seed() -> tuple[User, Organization, Organization]:
    user = await User.create(
        email="bench-import@carnet.test", first_name="Bench", last_name="I", password_hash="-"
    )
    organization = await Organization.create(name="Import bench")
    other = await Organization.create(name="Raw baseline")
    await StaffMembership.create(
        organization=organization, user=user, role=Role.OWNER, status=MembershipStatus.ACTIVE
    )
    return user, organization, other


CPROFILE = ""  # --cprofile FILE: cProfile the chunks into FILE


async def run_import(user, organization, rows: int, profile: bool) -> tuple[float, int]:
    actor = await actor_for(user, organization.id, RequestMeta())
    started = time.perf_counter()
    contact_import = await request_import(
        actor,
        Upload(clean_file(rows)),
        mapping=None,
        encoding=CsvEncoding.UTF_8,
        consent=[ConsentDeclaration(ConsentChannel.EMAIL, ConsentStatus.EXPRESS, "bench")],
        on_existing=OnExisting.FILL_BLANKS,
        settings=current_settings(),
    )
    uploaded = time.perf_counter() - started
    global UPLOAD_SECONDS
    UPLOAD_SECONDS = uploaded
    progress(f"upload checked, stored and frozen in {uploaded:.1f} s; running the chunks")
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
        profiler.start()
    operation_id = (await ContactImport.get(id=contact_import.id)).operation_id
    numbers = await BulkOperationChunk.filter(operation_id=operation_id).count()
    profiled = None
    if CPROFILE:
        import cProfile

        profiled = cProfile.Profile()
        profiled.enable()
    started, cpu = time.perf_counter(), time.process_time()
    postgres = current_settings().database_url.startswith("postgres")
    await run_in_order(operation_id, numbers, postgres=postgres)
    elapsed = time.perf_counter() - started
    if profiled is not None:
        profiled.disable()
        profiled.dump_stats(CPROFILE)
    global IMPORT_CPU
    IMPORT_CPU = time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)
    done = await ContactImport.get(id=contact_import.id)
    assert done.status is TransferStatus.DONE, (done.status, done.failure)
    operation = await BulkOperation.get(id=operation_id)
    assert (operation.state, operation.succeeded) == ("COMPLETED", rows), operation.state
    if done.error_count:
        first = await ContactImportRowError.filter(contact_import_id=done.id).first()
        sys.exit(f"{done.error_count} row errors, the first: {first.code} {first.message}")
    assert done.created_count == rows, done.created_count
    return elapsed, done.created_count


async def run_in_order(operation_id: int, numbers: int, postgres: bool) -> None:
    """The chunks as workers run them: one after the other on SQLite; on PostgreSQL two at
    once, chunk k + 2 starting when chunk k has committed (each chunk queues the one two
    after it), the second of the two waiting for its turn inside `run_chunk`."""
    depth = 2 if postgres else 1
    running = {
        asyncio.ensure_future(chunks.run_chunk(operation_id, n)): n
        for n in range(1, min(depth, numbers) + 1)
    }
    following = depth + 1
    while running:
        done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
            del running[task]
            if following <= numbers:
                running[asyncio.ensure_future(chunks.run_chunk(operation_id, following))] = 0
                following += 1


async def raw_insert(organization, other) -> tuple[float, int]:
    """The contact rows the import wrote, re-inserted for another organization by one
    executemany through the same connection (no ORM objects, no other table)."""
    connection = connections.get("default")
    projection = [(f, c) for f, c in Contact._meta.fields_db_projection.items() if f != "id"]
    columns = [column for _, column in projection]
    rows = await Contact.filter(organization_id=organization.id).values_list(
        *(name for name, _ in projection)
    )
    index = columns.index("organization_id")
    values = [[*row[:index], other.id, *row[index + 1 :]] for row in rows]
    postgres = connection.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i + 1}" if postgres else "?" for i in range(len(columns)))
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "contact" ({names}) VALUES ({marks})'
    if not postgres:
        values = [[_sqlite(v) for v in row] for row in values]
    started = time.perf_counter()
    async with connection._in_transaction() as transaction:
        await transaction.execute_many(sql, values)
    return time.perf_counter() - started, len(values)


def _sqlite(value):
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if hasattr(value, "value"):  # enums
        return value.value
    return value


async def keep_statistics(settings, every: float) -> None:
    """ANALYZE every `every` seconds, as autovacuum would (off on some test servers): an
    import grows the tables faster than statistics left alone would follow, and plans made
    for an empty table scan whole organizations."""
    import asyncpg

    connection = await asyncpg.connect(
        settings.effective_database_url.replace("postgres://", "postgresql://", 1)
    )
    try:
        while True:
            await asyncio.sleep(every)
            await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def measure(args) -> dict:
    async with isolated_settings(args.database_url, args.redis_url) as settings:
        settings = settings.model_copy(
            update={
                "import_max_rows": max(settings.import_max_rows, args.rows),
                "import_max_bytes": max(settings.import_max_bytes, args.rows * 200),
                "bulk_chunk_size": args.chunk_rows,
                "job_timeout_seconds": 10**7,  # one run does the whole file
            }
        )
        configure(settings)
        import_job.CHUNK_ROWS = args.chunk_rows
        progress(f"backend: {backend_name(settings)}; migrating")
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(settings))
        try:
            user, organization, other = await seed()
            progress(f"importing {args.rows} rows")
            if args.database_url:
                # The server's dirty pages (an earlier run's, this run's migrations) written
                # out now, not by a checkpoint landing in the middle of the measure.
                await connections.get("default").execute_script("CHECKPOINT")
            analyzer = None
            if args.database_url and args.analyze_every > 0:
                analyzer = asyncio.create_task(keep_statistics(settings, args.analyze_every))
            try:
                seconds, created = await run_import(user, organization, args.rows, args.profile)
            finally:
                if analyzer is not None:
                    analyzer.cancel()
            memberships = await GroupMember.filter(contact__organization_id=organization.id).count()
            consents = await ConsentRecord.filter(contact__organization_id=organization.id).count()
            progress(f"import: {created} contacts in {seconds:.1f} s; raw executemany baseline")
            raw_seconds, raw_rows = await raw_insert(organization, other)
        finally:
            await Tortoise.close_connections()
        return {
            "bench": "import",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "backend": backend_name(settings),
            "rows": args.rows,
            "chunk_rows": import_job.CHUNK_ROWS,
            "upload_seconds": round(UPLOAD_SECONDS, 2),  # checks, storage, frozen rows
            "import_seconds": round(seconds, 2),
            "import_rows_per_second": round(created / seconds),
            "import_ms_per_row": round(1000 * seconds / created, 3),
            "ms_per_row_before_engine": MS_PER_ROW_BEFORE_ENGINE,
            "speedup_over_before": round(MS_PER_ROW_BEFORE_ENGINE * created / 1000 / seconds, 1),
            # The machine may be shared: CPU time is what this process spent, whatever the
            # load (on SQLite the whole import; on PostgreSQL the server's share is not in it).
            "import_cpu_seconds": round(IMPORT_CPU, 2),
            "import_cpu_ms_per_row": round(1000 * IMPORT_CPU / created, 3),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "analyze_every_seconds": args.analyze_every if args.database_url else None,
            "group_memberships": memberships,
            "consent_records": consents,
            "raw_seconds": round(raw_seconds, 2),
            "raw_rows_per_second": round(raw_rows / raw_seconds),
            "ratio_import_over_raw_seconds": round(seconds / raw_seconds, 1),
        }


def main() -> None:
    check_checkout()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cprofile", default="", metavar="FILE",
                        help="cProfile the chunks into FILE (pstats format)")
    parser.add_argument("--chunk-rows", type=int, default=import_job.CHUNK_ROWS,
                        help="rows per chunk (one job, one transaction)")
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=5.0,
        help="PostgreSQL: ANALYZE every N seconds during the import, as autovacuum would "
        "(0: never)",
    )
    args = parser.parse_args()
    global CPROFILE
    CPROFILE = args.cprofile
    figures = asyncio.run(measure(args))
    for key, value in figures.items():
        if key not in ("machine", "date"):
            print(f"{key:>32}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
