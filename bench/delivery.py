"""Group email delivery over SMTP: N emails (10,000 by default) to a local aiosmtpd sink,
with one reused connection per chunk (carnet.providers.email.connection, the way a send
chunk's emails would go) against one connection per message (carnet.providers.email.send,
what one job per recipient does). Prints messages/s for each and the ratio. No database.

    .venv/bin/python bench/delivery.py [--emails N] [--chunk 500]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import time

from aiosmtpd.controller import Controller

from carnet.providers import email as email_provider
from carnet.settings import Settings, configure


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


def a_mail(n: int) -> email_provider.Email:
    return email_provider.Email(
        message_id=f"<bench-{n}@carnet>",
        recipient=f"person{n}@example.com",
        subject=f"News for person {n}",
        text="Hello,\n\nOur news this month.\n\nUnsubscribe: https://carnet.example/u/1",
        html="<p>Hello,</p><p>Our news this month.</p>",
        sender="The Club <club@example.org>",
        headers=(
            ("List-Unsubscribe", "<https://carnet.example/unsubscribe/1>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ),
    )


async def per_chunk(total: int, chunk: int) -> float:
    started = time.perf_counter()
    for first in range(0, total, chunk):
        async with email_provider.connection() as relay:
            for n in range(first, min(total, first + chunk)):
                await relay.send(a_mail(n))
    return time.perf_counter() - started


async def per_message(total: int) -> float:
    started = time.perf_counter()
    for n in range(total):
        await email_provider.send(a_mail(n))
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        configure(Settings(email_backend="smtp", smtp_host="127.0.0.1", smtp_port=port))
        reused = await per_chunk(args.emails, args.chunk)
        assert sink.received == args.emails, sink.received
        each = await per_message(args.emails)
        assert sink.received == 2 * args.emails, sink.received
    finally:
        controller.stop()
    print(f"{args.emails} emails to a local aiosmtpd sink")
    print(f"one connection per chunk of {args.chunk}: {args.emails / reused:,.0f} messages/s "
          f"({reused:.1f} s)")
    print(f"one connection per message:       {args.emails / each:,.0f} messages/s "
          f"({each:.1f} s)")
    print(f"ratio: {each / reused:.1f}x faster with the reused connection")


if __name__ == "__main__":
    asyncio.run(main())
