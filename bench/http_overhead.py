"""HTTP overhead: requests/s of a trivial authenticated query through the full Carnet app,
against a bare Strawberry hello-world app, in the same run on this machine; and the SQL
statements that query costs.

    /tmp/venv/bin/python bench/http_overhead.py [--requests N] [--concurrency C]
        [--database-url postgres://USER@HOST:PORT/DB] [--redis-url redis://HOST:PORT/N]

Prints a table, then one JSON line (the last line of stdout). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import sys
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import httpx
from harness import (
    BENCH_DIR,
    LOOPBACK,
    Server,
    backend_name,
    carnet_env,
    check_checkout,
    free_port,
    isolated_settings,
    uvicorn_server,
)
from loadgen import CLIENTS, LoadError, Run, Summary, run_load
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from carnet.auth import hash_password
from carnet.db import tortoise_config
from carnet.settings import Settings, current_settings
from carnet.statements import count_statements
from carnet.web.app import create_app
from models.identity import Session, User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common.actor import RequestMeta
from resolvers.common.time import now
from resolvers.identity.caller import LAST_USED_RESOLUTION
from resolvers.identity.sessions import IssuedTokens, start_session

ME = b'{"query": "{ me { id email } }"}'
HELLO = b'{"query": "{ hello }"}'
STATEMENT_SAMPLES = 20


@dataclass
class Statements:
    per_request: float  # over STATEMENT_SAMPLES requests, last_used_at fresh
    with_last_used_refresh: int  # one request after last_used_at went stale
    sample: list[str]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def seed_session() -> IssuedTokens:
    """One user, owner of one organization, signed in once (Tortoise already initialised)."""
    user = await User.create(email="bench@carnet.test", first_name="Bench", last_name="User",
                             password_hash=await hash_password("bench password"),
                             email_verified_at=now())
    organization = await Organization.create(name="Bench Club")
    await StaffMembership.create(organization=organization, user=user, role=Role.OWNER,
                                 status=MembershipStatus.ACTIVE)
    return await start_session(user, "bench", RequestMeta(), current_settings())


async def seed_and_count(settings: Settings) -> tuple[str, Statements]:
    """In process (no uvicorn): seeds the session, then counts statements per `me` request."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        issued = await seed_session()
        headers = {"authorization": f"Bearer {issued.access_token}",
                   "content-type": "application/json"}
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://carnet.bench",
                                     headers=headers) as client:

            async def me() -> None:
                response = await client.post("/graphql", content=ME)
                if response.status_code != 200 or "errors" in response.json():
                    raise RuntimeError(f"me failed: {response.status_code} {response.text}")

            await me()  # the first request of a process may warm caches; not counted
            with count_statements() as steady:
                for _ in range(STATEMENT_SAMPLES):
                    await me()
            stale = now() - 2 * LAST_USED_RESOLUTION
            await Session.filter(id=issued.session.id).update(last_used_at=stale)
            with count_statements() as refreshing:
                await me()
    counted = Statements(len(steady) / STATEMENT_SAMPLES, len(refreshing), steady[:1])
    return issued.access_token, counted


async def alternate(full: Server, bare: Server, token: str,
                    args: argparse.Namespace) -> tuple[Summary, Summary]:
    """Warm-up, then full, bare, full, bare…: drift (thermal, neighbours) hits both alike."""
    loads = {
        "full": (full, ME, {"authorization": f"Bearer {token}"}),
        "bare": (bare, HELLO, {}),
    }
    runs: dict[str, list[Run]] = {name: [] for name in loads}

    async def load(name: str, requests: int) -> Run:
        server, body, headers = loads[name]
        return await run_load(server, "/graphql", body, headers, requests, args.concurrency,
                              args.client)

    for name in loads:
        progress(f"warm-up: {args.warmup} requests to {name}")
        await load(name, args.warmup)
    for index in range(args.rounds):
        share = args.requests // args.rounds + (index < args.requests % args.rounds)
        for name in loads:
            progress(f"round {index + 1}/{args.rounds}: {share} requests to {name}")
            runs[name].append(await load(name, share))
    return Summary.of(runs["full"]), Summary.of(runs["bare"])


async def measure(args: argparse.Namespace) -> dict:
    async with isolated_settings(args.database_url, args.redis_url) as settings:
        progress(f"backend: {backend_name(settings)}; migrating {settings.var_dir}")
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        token, statements = await seed_and_count(settings)
        async with AsyncExitStack() as servers:
            full_port, bare_port = free_port(), free_port()
            progress(f"starting the full app on :{full_port} and the bare app on :{bare_port}")
            full = await servers.enter_async_context(uvicorn_server(
                "full", [sys.executable, "-m", "carnet.cli", "serve"],
                carnet_env(settings, full_port), full_port, settings.var_dir, "/readyz"))
            bare = await servers.enter_async_context(uvicorn_server(
                "bare", bare_command(bare_port), carnet_env(settings, bare_port), bare_port,
                settings.var_dir, "/graphql?query=%7Bhello%7D"))
            full_summary, bare_summary = await alternate(full, bare, token, args)
        return figures(args, backend_name(settings), full_summary, bare_summary, statements)


def bare_command(port: int) -> list[str]:
    """The same uvicorn options `carnet serve` uses, so only the application differs."""
    return [sys.executable, "-m", "uvicorn", "hello_app:app", "--app-dir", str(BENCH_DIR),
            "--host", LOOPBACK, "--port", str(port), "--proxy-headers", "--log-level", "info"]


def figures(args, backend: str, full: Summary, bare: Summary, statements: Statements) -> dict:
    cpu_ratio = cpu_extra = None
    if full.server_cpu_ms_per_request and bare.server_cpu_ms_per_request:
        cpu_ratio = full.server_cpu_ms_per_request / bare.server_cpu_ms_per_request
        cpu_extra = full.server_cpu_ms_per_request - bare.server_cpu_ms_per_request
    return {
        "bench": "http_overhead",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "backend": backend,
        "requests_per_app": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "client": args.client,
        "full": asdict(full),
        "bare": asdict(bare),
        "ratio_requests_per_second_full_over_bare": full.requests_per_second
        / bare.requests_per_second,
        "ratio_server_cpu_per_request_full_over_bare": cpu_ratio,
        "server_cpu_ms_per_request_full_minus_bare": cpu_extra,
        "statements_per_request": statements.per_request,
        "statements_with_last_used_refresh": statements.with_last_used_refresh,
        "statement_sample": [_abridged(statement) for statement in statements.sample],
    }


def _abridged(statement: str) -> str:
    """The statement's shape: no column list, no parameters (they hold the token digest)."""
    statement = statement.rsplit(": [", 1)[0]  # Tortoise logs f"{sql}: {parameters}"
    statement = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", statement)
    return statement if len(statement) < 400 else statement[:400] + "…"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def print_report(result: dict) -> None:
    machine = result["machine"]
    print("\nCarnet HTTP overhead — full app `{ me { id email } }` (Bearer token) "
          "vs bare Strawberry `{ hello }`")
    print(f"backend: {result['backend']}; {result['requests_per_app']} requests per app in "
          f"{result['rounds']} alternating rounds; {result['concurrency']} connections "
          f"({result['client']} client); {machine['cpus']} CPUs; Python {machine['python']}\n")
    print(f"{'app':<5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'server CPU ms/req':>18} "
          f"{'client CPU':>11}  req/s per round")
    for name in ("full", "bare"):
        app = result[name]
        rounds = ", ".join(f"{x:.0f}" for x in app["round_requests_per_second"])
        print(f"{name:<5} {app['requests_per_second']:>9.1f} {app['p50_ms']:>8.2f} "
              f"{app['p95_ms']:>8.2f} {_ms(app['server_cpu_ms_per_request']):>18} "
              f"{app['client_cpu_share']:>10.0%}  {rounds}")
    ratio = result["ratio_requests_per_second_full_over_bare"]
    print(f"\nratio full/bare, requests/s:           {ratio:.3f}")
    cpu_ratio = result["ratio_server_cpu_per_request_full_over_bare"]
    if cpu_ratio is not None:
        print(f"ratio full/bare, server CPU/request:   {cpu_ratio:.2f} "
              f"(+{result['server_cpu_ms_per_request_full_minus_bare']:.2f} ms per request)")
    print(f"SQL statements per request:            {result['statements_per_request']:g} "
          f"(over {STATEMENT_SAMPLES}); {result['statements_with_last_used_refresh']} when "
          f"last_used_at is refreshed")
    for statement in result["statement_sample"]:
        print(f"  {statement}")
    print("\n(client CPU is the load generator's share of one core: near 100% means the "
          "generator, not the server, set the pace)\n")
    print(json.dumps(result, separators=(",", ":")), flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per app")
    parser.add_argument("--concurrency", type=int, default=20, help="keep-alive connections")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (A, B, A, B)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed requests per app first")
    parser.add_argument("--client", choices=CLIENTS, default="raw",
                        help="load generator client (see bench/loadgen.py)")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL server to create a throwaway database on "
                        "(default: SQLite in a temporary folder)")
    parser.add_argument("--redis-url", default="",
                        help="a Redis to share under a unique key prefix "
                        "(default: an embedded redis-server)")
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a postgres:// URL")
    if min(args.requests, args.concurrency, args.rounds) < 1 or args.warmup < 0:
        parser.error("--requests, --concurrency and --rounds must be positive")
    return args


async def _main(args: argparse.Namespace) -> dict:
    # SIGTERM unwinds like Ctrl-C: servers stopped, database dropped, temporary files removed.
    task = asyncio.current_task()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await measure(args)


def _loop_factory():
    """uvloop when installed (it is with uvicorn[standard]), as the servers use it."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_checkout()
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            result = runner.run(_main(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        progress("interrupted; everything the run started is stopped and removed")
        return 130
    except (LoadError, RuntimeError) as failed:  # what the run started is gone already
        progress(f"failed: {failed}")
        return 1
    print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
