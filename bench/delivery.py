"""Group email delivery over SMTP, through the production job paths: N group emails
(10,000 by default) to a local aiosmtpd sink, sent by the `send_messages` job's body
(resolvers.messaging.fanout.deliver_batch: one job per send chunk, ONE reused SMTP
connection for the chunk, each message claimed before the relay is called) against the
per-message path (resolvers.messaging.email.deliver, what one `send_email` job per
recipient did: claim, its own connection, SENT). Both write the same claims and SENT
statuses to a throwaway database (SQLite, or `--database-url` PostgreSQL). Prints
messages/s for each and the ratio.

    .venv/bin/python bench/delivery.py [--emails N] [--chunk 500] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import time

from aiosmtpd.controller import Controller
from harness import check_checkout, isolated_settings
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from carnet.db import tortoise_config
from carnet.settings import configure
from models.messaging import Channel, OutboxMessage
from models.organizations import Organization
from resolvers.common import rows as rows_
from resolvers.common.tasks import unit_of_work
from resolvers.messaging import email, fanout


class Sink:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def group_emails(organization_id: int, total: int, tag: str) -> list[int]:
    """N outbox rows as a send chunk writes them (multi-row INSERTs); their ids."""
    rows = [
        rows_.Row(
            OutboxMessage,
            organization_id=organization_id,
            channel=Channel.EMAIL,
            template="group_message",
            recipient=f"person{n}.{tag}@example.com",
            locale="en",
            subject=f"News for person {n}",
            context={
                "subject": f"News for person {n}",
                "body": "<p>Hello,</p><p>Our news this month.</p>",
                "text": "Hello,\n\nOur news this month.",
                "organization_name": "The Club",
                "organization_address": "1 Main St, Montreal",
                "unsubscribe_url": "https://carnet.example/unsubscribe/1",
                "list_unsubscribe": "https://carnet.example/unsubscribe/1",
                "sender": "The Club <club@example.org>",
                "at_most_once": True,
            },
        )
        for n in range(total)
    ]
    async with unit_of_work():
        await rows_.insert_rows(rows, ids=True)
    return [row.id for row in rows]


async def per_chunk(ids: list[int], chunk: int) -> float:
    started = time.perf_counter()
    for first in range(0, len(ids), chunk):
        await fanout.deliver_batch(*ids[first : first + chunk])
    return time.perf_counter() - started


async def per_message(ids: list[int], settings) -> float:
    started = time.perf_counter()
    for pk in ids:
        await email.deliver(pk, settings)
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    check_checkout()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        async with isolated_settings(args.database_url) as base:
            settings = base.model_copy(
                # A run that outlives half the job timeout would hand its rest to a new
                # task: no queue here, so the whole chunk in one run.
                update={"email_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port,
                        "job_timeout_seconds": 3600}
            )
            configure(settings)
            await migrate(config=tortoise_config(settings))
            await Tortoise.close_connections()
            await Tortoise.init(config=tortoise_config(settings))
            try:
                organization = await Organization.create(name="Bench", timezone="UTC")
                chunked = await group_emails(organization.id, args.emails, "chunk")
                single = await group_emails(organization.id, args.emails, "single")
                reused = await per_chunk(chunked, args.chunk)
                assert sink.received == args.emails, sink.received
                each = await per_message(single, settings)
                assert sink.received == 2 * args.emails, sink.received
            finally:
                await Tortoise.close_connections()
            backend = "PostgreSQL" if args.database_url else "SQLite"
    finally:
        controller.stop()
    print(f"{args.emails} group emails to a local aiosmtpd sink, {backend}, job bodies in process")
    print(
        f"send_messages, one connection per chunk of {args.chunk}: "
        f"{args.emails / reused:,.0f} messages/s ({reused:.1f} s)"
    )
    print(
        f"send_email, one job and connection per message: "
        f"{args.emails / each:,.0f} messages/s ({each:.1f} s)"
    )
    print(f"ratio: {each / reused:.1f}x faster per chunk")


if __name__ == "__main__":
    asyncio.run(main())
