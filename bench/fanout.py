"""Group message fan-out: an EMAIL to a segment of every contact of an organization, sent
with `messageSend` and run by real worker processes through the outbox backend (the
chunks write the deliveries and outbox rows, one `send_messages` job per chunk claims and
"sends" them), against one raw INSERT … SELECT of the same deliveries in the same run.

    .venv/bin/python bench/fanout.py [--contacts N] [--workers 2]
        [--database-url postgres://USER@HOST:PORT/DB] [--redis-url redis://HOST:PORT/N]
        [--analyze-every SECONDS]

100,000 contacts by default; 1,000,000 on PostgreSQL (`--database-url`, or
CARNET_DATABASE_URL when it names a PostgreSQL server: a throwaway database is created on
it and dropped at the end). Prints recipients/s, the workers' peak RSS and the ratio to
the raw statement, then one JSON line. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from asgi_client import AsgiClient
from bulk import Worker, progress, seed, workers
from harness import backend_name, isolated_settings, run_benchmark
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate

from carnet.db import tortoise_config
from models.bulk import BulkOperation
from models.message_sends import Delivery, DeliveryStatus, Message, MessageState
from models.messaging import MessageChannel, MessageDraft
from models.segments import Segment
from models.tasks import Task, TaskStatus
from resolvers.common.time import now
from resolvers.messaging.fanout import SEND_BATCH
from schema import build_schema, ids

DEFAULT_CONTACTS = 100_000
DEFAULT_CONTACTS_POSTGRES = 1_000_000
POLL_SECONDS = 1.0
SEND = """mutation($input: MessageSendInput!) {
  messageSend(input: $input) {
    message { id operation { id total } } errors { code field message } } }"""
CONTENTS = {
    "en": {
        "subject": "News for {{ contact.first_name }}",
        "body": "<p>Hello {{ contact.display_name }},</p><p>Our news this month.</p>"
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
    },
    "fr": {
        "subject": "Nouvelles pour {{ contact.first_name }}",
        "body": "<p>Bonjour {{ contact.display_name }},</p><p>Nos nouvelles.</p>"
        '<p><a href="{{ unsubscribe_url }}">Se désabonner</a></p>',
    },
}


async def reachable(organization_id: int) -> None:
    """Every seeded contact gets an address and express email consent (one statement); one
    in ten reads French."""
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    one = "$1" if postgres else "?"
    await connection.execute_query(
        "UPDATE contact SET email = 'bench' || id || '@example.com', "
        "email_consent = 'EXPRESS', locale = CASE WHEN id % 10 = 0 THEN 'fr' ELSE 'en' END "
        f"WHERE organization_id = {one}",
        [organization_id],
    )
    if postgres:
        await connection.execute_script("VACUUM ANALYZE contact")


# The test server runs with autovacuum off; a production server's autovacuum re-analyzes a
# table once a tenth of it has changed. Without it the tables the send fills keep the
# statistics of their empty migration and the planner scans them whole for a chunk's ids.
ANALYZE_EVERY_SECONDS = 15.0
GROWING = "message_delivery, outbox_message, bulk_operation_item, task"


async def _autovacuum_stand_in(last: float, every: float) -> float:
    connection = connections.get("default")
    if connection.capabilities.dialect != "postgres" or every <= 0:
        return last
    if time.monotonic() - last < every:
        return last
    await connection.execute_script(f"ANALYZE {GROWING}")
    return time.monotonic()


async def until_sent(operation_id: int, give_up_after: float, analyze_every: float) -> float:
    """Waits for the operation to finish and every send job to be done (on PostgreSQL,
    analyzing the growing tables as autovacuum would)."""
    started = time.monotonic()
    deadline = started + give_up_after
    analyzed = started
    while True:
        analyzed = await _autovacuum_stand_in(analyzed, analyze_every)
        operation = await BulkOperation.get(id=operation_id)
        if operation.finished_at is not None:
            left = await Task.filter(function=SEND_BATCH, status=TaskStatus.PENDING).count()
            if not left:
                return time.monotonic() - started
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"not sent after {give_up_after:.0f}s "
                f"({operation.processed}/{operation.total} written)"
            )
        await asyncio.sleep(POLL_SECONDS)


def _raw_sql(postgres: bool) -> str:
    p = ["$1", "$2", "$3"] if postgres else ["?", "?", "?"]
    return (
        "INSERT INTO message_delivery (message_id, organization_id, contact_id, contact_key, "
        "channel, status, skip_reason, recipient, locale, subject, body, consent_kind, "
        "consent_source, provider_message_id, error_code, created_at, sent_at) "
        f"SELECT {p[0]}, organization_id, id, id, 'EMAIL', 'SENT', '', email, locale, "
        "'News for ' || first_name, '<p>Hello ' || first_name || '</p>', 'EXPRESS', '', '', "
        f"'', {p[2]}, {p[2]} FROM contact WHERE organization_id = {p[1]}"
    )


async def raw_insert(organization_id: int, message_id: int) -> float:
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    started = time.perf_counter()
    async with connection._in_transaction() as transaction:
        at = now()
        parameters = (
            [message_id, organization_id, at]
            if postgres
            else [message_id, at.isoformat(" "), at.isoformat(" "), organization_id]
        )
        await transaction.execute_query(_raw_sql(postgres), parameters)
    return time.perf_counter() - started


async def measure(args: argparse.Namespace) -> dict:
    async with isolated_settings(args.database_url, args.redis_url) as settings:
        backend = backend_name(settings)
        progress(f"backend: {backend}; migrating {settings.var_dir}")
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        from carnet.web.app import create_app

        app = create_app(settings)
        assert "messageSend" in build_schema(settings)._schema.mutation_type.fields
        async with app.router.lifespan_context(app), AsyncExitStack() as stack:
            progress(f"seeding {args.contacts:,} contacts")
            seeded = await seed(args.contacts)
            organization = seeded.organization
            await reachable(organization.id)
            segment = await Segment.create(
                organization=organization,
                name="Everyone",
                name_key="everyone",
                search="",
                filters={},
            )
            draft = await MessageDraft.create(
                organization=organization,
                channel=MessageChannel.EMAIL,
                audience={"segment_id": segment.id},
                contents=CONTENTS,
            )
            progress(f"seeded in {seeded.seconds:.1f}s; starting {args.workers} workers")
            pool: list[Worker] = await stack.enter_async_context(
                workers(settings, args.workers, args.keep_logs)
            )
            for worker in pool:
                worker.reset_peak()
            before = [round(w.rss_mb("VmRSS"), 1) for w in pool]
            client = AsgiClient(app, {"authorization": f"Bearer {seeded.token}"})
            progress("messageSend: engine and send jobs")
            started = time.perf_counter()
            answer = await client.post_json(
                "/graphql",
                {
                    "query": SEND,
                    "variables": {"input": {"draftId": ids.encode("MessageDraft", draft.id)}},
                },
            )
            payload = (answer.json().get("data") or {}).get("messageSend")
            if not payload or payload["errors"]:
                raise RuntimeError(f"messageSend failed: {answer.json()}")
            request_seconds = time.perf_counter() - started
            operation_id = ids.decode_as(payload["message"]["operation"]["id"], "BulkOperation")
            await until_sent(operation_id, args.timeout, args.analyze_every)
            seconds = time.perf_counter() - started
            peaks = [round(w.rss_mb("VmHWM"), 1) for w in pool]
            message_id = ids.decode_as(payload["message"]["id"], "Message")
            sent = await Delivery.filter(message_id=message_id, status=DeliveryStatus.SENT).count()
            total = await Delivery.filter(message_id=message_id).count()
            send_jobs = await Task.filter(function=SEND_BATCH).count()
            progress("raw INSERT … SELECT of the same deliveries")
            raw_message = await Message.create(
                organization=organization,
                channel=MessageChannel.EMAIL,
                contents=CONTENTS,
                state=MessageState.SENT,
                send_at=now(),
            )
            raw_seconds = await raw_insert(organization.id, raw_message.id)
    return {
        "bench": "fanout",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "backend": backend,
        "contacts": args.contacts,
        "workers": args.workers,
        "chunk_size": settings.bulk_chunk_size,
        "seed_seconds": round(seeded.seconds, 1),
        "request_seconds": round(request_seconds, 2),
        "seconds": round(seconds, 1),
        "deliveries": total,
        "sent": sent,
        "send_jobs": send_jobs,
        "recipients_per_second": round(sent / seconds),
        "raw_seconds": round(raw_seconds, 2),
        "ratio_over_raw": round(seconds / raw_seconds, 1),
        "worker_rss_mb_before": before,
        "worker_peak_rss_mb": peaks,
    }


def print_report(result: dict) -> None:
    rss = ", ".join(
        f"{b:.0f}→{p:.0f}"
        for b, p in zip(result["worker_rss_mb_before"], result["worker_peak_rss_mb"], strict=True)
    )
    print(
        f"\nCarnet group email fan-out — {result['contacts']:,} contacts, "
        f"{result['workers']} workers, {result['backend']}, outbox backend; "
        f"{result['machine']['cpus']} CPUs\n"
    )
    print(
        f"sent {result['sent']:,} of {result['deliveries']:,} deliveries in "
        f"{result['seconds']:.1f} s (request {result['request_seconds']:.2f} s, "
        f"{result['send_jobs']} send jobs): {result['recipients_per_second']:,} recipients/s"
    )
    print(
        f"raw INSERT … SELECT of the same deliveries: {result['raw_seconds']:.2f} s; "
        f"fan-out / raw: {result['ratio_over_raw']:.1f}×"
    )
    print(f"worker RSS MB before → peak: {rss}\n")
    print(json.dumps(result, separators=(",", ":")), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    environment_url = os.environ.get("CARNET_DATABASE_URL", "")
    parser.add_argument(
        "--contacts",
        type=int,
        default=None,
        help=f"contacts in the segment (default {DEFAULT_CONTACTS:,}; "
        f"{DEFAULT_CONTACTS_POSTGRES:,} on PostgreSQL)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="seconds the send may take before the run gives up",
    )
    parser.add_argument(
        "--database-url",
        default=environment_url if environment_url.startswith("postgres") else "",
        help="a PostgreSQL server to create a throwaway database on",
    )
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=ANALYZE_EVERY_SECONDS,
        help="PostgreSQL: seconds between ANALYZEs of the growing tables (0: none)",
    )
    parser.add_argument("--keep-logs", type=os.fspath, default=None, metavar="DIR")
    parser.add_argument(
        "--redis-url", default="", help="a Redis to share under a unique key prefix"
    )
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a postgres:// URL")
    if args.contacts is None:
        args.contacts = DEFAULT_CONTACTS_POSTGRES if args.database_url else DEFAULT_CONTACTS
    if args.contacts < 1 or args.workers < 1:
        parser.error("--contacts and --workers must be positive")
    if args.keep_logs is not None:
        from pathlib import Path

        args.keep_logs = Path(args.keep_logs)
    return args


def main(argv: list[str] | None = None) -> int:
    return run_benchmark(parse_args(argv), measure, print_report)


if __name__ == "__main__":
    sys.exit(main())
