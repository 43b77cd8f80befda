"""`carnet`: run the API and worker, migrate, print the schema, seed the demo, read the outbox."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from carnet.logs import configure_logging
from carnet.settings import Settings, configure, current_settings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "schema" / "schema.graphql"
RELEASED_SCHEMA_FILE = ROOT / "schema" / "released.graphql"
CHANGELOG_FILE = ROOT / "CHANGELOG.md"


def _serve(settings: Settings, reload: bool = False, workers: int = 1) -> None:
    import uvicorn

    from carnet.logs import uvicorn_log_config

    uvicorn.run(
        "carnet.web.asgi:app",
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=workers,
        # Forwarded headers are read by the app, from CARNET_TRUSTED_PROXIES only.
        proxy_headers=False,
        # On SIGTERM (or Ctrl-C) stop accepting and let requests under way finish, cancelling
        # what is left once the grace is over; websockets are closed at once (code 1012).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        log_level="info",
        log_config=uvicorn_log_config(settings),  # CARNET_LOG_FORMAT, in every process
        access_log=settings.log_format != "json",  # JSON: carnet/web/observe.py logs requests
    )


def _worker(settings: Settings, burst: bool = False) -> None:
    from arq.worker import Worker

    from jobs.worker import worker_settings

    # On SIGTERM (or Ctrl-C) take no new job and let running ones finish within the grace;
    # one still running then is cancelled and runs again later (jobs are idempotent).
    Worker(**worker_settings(settings), burst=burst,
           job_completion_wait=settings.shutdown_grace_seconds).run()


async def _with_db(settings: Settings, work):
    from tortoise import Tortoise

    from carnet.db import tortoise_config

    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    try:
        return await work()
    finally:
        await Tortoise.close_connections()


def migrate(settings: Settings) -> None:
    from tortoise.migrations.api.migrate import migrate as run_migrations

    from carnet.db import tortoise_config

    async def run():
        from tortoise import Tortoise

        try:
            await run_migrations(config=tortoise_config(settings))
        finally:
            await Tortoise.close_connections()

    asyncio.run(run())
    print("database migrated")


def _schema(check: bool) -> int:
    from schema import print_sdl

    sdl = print_sdl(current_settings())
    if not check:
        SCHEMA_FILE.write_text(sdl)
        print(f"wrote {SCHEMA_FILE}")
        return 0
    if SCHEMA_FILE.exists() and SCHEMA_FILE.read_text() == sdl:
        print("schema/schema.graphql is current")
        return 0
    print("schema/schema.graphql is stale: run `carnet schema` and commit it", file=sys.stderr)
    return 1


def _schema_breaking(released: Path, changelog: Path) -> int:
    from carnet.cli.schema_changes import compare, report

    for path in (released, SCHEMA_FILE):
        if not path.exists():
            print(f"{path} is missing", file=sys.stderr)
            return 2
    comparison = compare(released.read_text(), SCHEMA_FILE.read_text(),
                         changelog.read_text() if changelog.exists() else "")
    out, err = report(comparison, changelog)
    print("\n".join(out))
    if err:
        print("\n".join(err), file=sys.stderr)
    return 0 if comparison.ok else 1


def _seed_demo(settings: Settings) -> int:
    if settings.is_production:
        print("seed-demo is refused in production (CARNET_ENVIRONMENT=production)", file=sys.stderr)
        return 2
    from carnet.cli.demo import seed_demo

    lines = asyncio.run(_with_db(settings, seed_demo))
    print("\n".join(lines))
    return 0


def _seed_contacts(settings: Settings, args: argparse.Namespace) -> int:
    if settings.is_production and not args.force:
        print("seed-contacts is refused in production (CARNET_ENVIRONMENT=production) "
              "unless --force is given", file=sys.stderr)
        return 2
    if args.count < 1 or args.batch_size < 1:
        print("--count and --batch-size must be at least 1", file=sys.stderr)
        return 2

    async def work() -> int:
        from carnet.cli.seed_contacts import find_organization, seed_contacts

        organization = await find_organization(args.organization)
        if organization is None:
            print(f"no organization {args.organization!r} (give its id, global id or name)",
                  file=sys.stderr)
            return 2
        print(f"seeding {args.count:,} contacts into {organization.name!r} "
              f"(id {organization.id}, seed {args.seed})", flush=True)
        report = await seed_contacts(organization, args.count, seed=args.seed,
                                     batch_size=args.batch_size,
                                     progress=lambda line: print(line, flush=True))
        print("\n".join(report.lines()))
        return 0

    return asyncio.run(_with_db(settings, work))


def _outbox(settings: Settings, limit: int) -> int:
    from carnet.cli.demo import recent_outbox

    lines = asyncio.run(_with_db(settings, lambda: recent_outbox(limit)))
    print("\n".join(lines) or "the outbox is empty")
    return 0


def banner(settings: Settings) -> str:
    return f"\nCarnet is running: GraphiQL at {settings.public_url}/graphql (Ctrl-C stops it)\n"


def _dev(settings: Settings) -> int:
    """Migrate, seed the demo, then run redis-server, the worker and the API until Ctrl-C."""
    from carnet.cli import embedded_redis

    migrate(settings)
    _seed_demo(settings)
    redis = None if settings.redis_url else embedded_redis.start(settings)
    env = {**os.environ, "CARNET_VAR_DIR": str(settings.var_dir.resolve())}
    carnet = [sys.executable, "-m", "carnet.cli"]
    # Each child in its own process group: a terminal's Ctrl-C reaches only this process,
    # which then stops them in an order where none loses a service it still needs.
    worker = subprocess.Popen([*carnet, "worker"], env=env, process_group=0)
    api = subprocess.Popen([*carnet, "serve"], env=env, process_group=0)
    print(banner(settings))
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children = [child for child in (worker, api, redis) if child is not None]
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.3)
    finally:
        # The worker first (it needs Redis to finish its jobs and record them), then the
        # API (its requests may still enqueue jobs), then Redis.
        for child in children:
            _stop_child(child, timeout=settings.shutdown_grace_seconds + 15)
    return 0 if stopping else 1


def _stop_child(child: subprocess.Popen, timeout: float) -> None:
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


# What each command reads from the environment (or .env), named in its --help; every
# command also reads CARNET_ENVIRONMENT. tests/test_cli_help.py checks each name is a setting.
_DATABASE = ("CARNET_DATABASE_URL", "CARNET_VAR_DIR")
_API = (*_DATABASE, "CARNET_HOST", "CARNET_PORT", "CARNET_PUBLIC_URL", "CARNET_REDIS_*",
        "CARNET_SECRET_KEY", "CARNET_SHUTDOWN_GRACE_SECONDS", "CARNET_CORS_ORIGINS",
        "CARNET_MAX_*", "CARNET_*_TTL_SECONDS", "CARNET_LOGIN_*", "CARNET_STORAGE_*",
        "CARNET_TRUSTED_PROXIES", "CARNET_INVITATION_QUOTA_*", "CARNET_METRICS_*",
        "CARNET_LOG_FORMAT", "CARNET_OTEL_ENDPOINT")
_WORKER = (*_DATABASE, "CARNET_REDIS_*", "CARNET_JOB_*",
           "CARNET_SHUTDOWN_GRACE_SECONDS", "CARNET_EMAIL_*", "CARNET_SMTP_*", "CARNET_SMS_*",
           "CARNET_APP_URL", "CARNET_STORAGE_*", "CARNET_OUTBOX_RETENTION_DAYS",
           "CARNET_EXPORT_RETENTION_DAYS", "CARNET_SIGN_IN_ATTEMPT_RETENTION_DAYS",
           "CARNET_LOG_FORMAT")
SETTINGS_READ: dict[str, tuple[str, ...]] = {
    "dev": (*dict.fromkeys(_API + _WORKER),),
    "serve": _API,
    "worker": _WORKER,
    "migrate": (*_DATABASE, "CARNET_STORAGE_*"),
    "makemigrations": _DATABASE,
    "schema": (),
    "seed-demo": (*_DATABASE, "CARNET_ARGON2_*"),
    "seed-contacts": _DATABASE,
    "outbox": _DATABASE,
}


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the descriptions' line breaks, and shows each option's default (a flag's
    False and a missing value are not defaults worth showing)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = not any(action.default is value for value in (None, False, argparse.SUPPRESS))
        if shown and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text


def _command(commands, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    names = SETTINGS_READ[name]
    read = ", ".join(("CARNET_ENVIRONMENT", *names)) if names else "none (the SDL depends on none)"
    return commands.add_parser(
        name, help=summary, description=f"{summary}.\n\n{description}",
        epilog=textwrap.fill(f"Settings read: {read}. See README.md, Settings.", width=78),
        formatter_class=_HelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carnet", description=__doc__,
                                     formatter_class=_HelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    _command(commands, "dev", "Run everything for development",
             "Migrates the database, seeds the demo, then runs an embedded redis-server\n"
             "(unless CARNET_REDIS_URL is set), `carnet worker` and `carnet serve` until\n"
             "Ctrl-C, which stops the worker, then the API, then Redis.")
    serve = _command(commands, "serve", "Run the API (uvicorn)",
                     "Serves GraphQL over HTTP and websockets on CARNET_HOST:CARNET_PORT.\n"
                     "On SIGTERM, requests under way get CARNET_SHUTDOWN_GRACE_SECONDS to finish.")
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument("--reload", action="store_true",
                      help="restart when the code changes (development)")
    mode.add_argument("--workers", type=int, default=1, metavar="N",
                      help="API processes sharing the port (uvicorn's process manager)")
    worker = _command(commands, "worker", "Run an arq worker",
                      "Runs queued jobs and the crons; start as many as needed, on any\n"
                      "machine. On SIGTERM it takes no new job and lets running ones finish\n"
                      "within CARNET_SHUTDOWN_GRACE_SECONDS.")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    _command(commands, "migrate", "Apply database migrations",
             "Applies models/migrations up to the latest: a release step, run once before\n"
             "the new version's API and workers start.")
    makemigrations = _command(commands, "makemigrations", "Write a migration for model changes",
                              "Tortoise's tool, with its CreateModel's dropped constraints\n"
                              "repaired (carnet/migrations.py).")
    makemigrations.add_argument("--name", default=None,
                                help="the migration's name, e.g. contact_nickname")
    schema = _command(commands, "schema", "Write or check schema/schema.graphql",
                      "Without an option, writes the SDL to schema/schema.graphql.\n"
                      "--breaking compares that file with the last released SDL and fails on\n"
                      "a breaking change the Unreleased section of CHANGELOG.md does not list.")
    checks = schema.add_mutually_exclusive_group()
    checks.add_argument("--check", action="store_true",
                        help="fail if schema/schema.graphql is stale")
    checks.add_argument("--breaking", action="store_true",
                        help="fail on a breaking change since --released not listed in --changelog")
    schema.add_argument("--released", type=Path, default=RELEASED_SCHEMA_FILE, metavar="PATH",
                        help="the SDL of the last release (with --breaking)")
    schema.add_argument("--changelog", type=Path, default=CHANGELOG_FILE, metavar="PATH",
                        help="the changelog whose Unreleased section lists breaking changes")
    _command(commands, "seed-demo", "Create the demo organizations",
             "Idempotent; prints the sign-in details. Refused in production.")
    seed_contacts = _command(commands, "seed-contacts", "Fill an organization with contacts",
                             "Realistic contacts, fast (COPY on PostgreSQL), for development\n"
                             "and benchmarks. Refused in production unless --force.")
    seed_contacts.add_argument("--organization", required=True,
                               help="the organization's id, global id or name (required)")
    seed_contacts.add_argument("--count", type=int, default=1_000_000,
                               help="how many contacts to add")
    seed_contacts.add_argument("--seed", type=int, default=0, help="same seed, same rows")
    seed_contacts.add_argument("--batch-size", type=int, default=50_000,
                               help="rows per transaction")
    seed_contacts.add_argument("--force", action="store_true", help="run even in production")
    outbox = _command(commands, "outbox", "Show recent emails and SMS",
                      "The outbox's latest rows, with their links in development.")
    outbox.add_argument("-n", "--limit", type=int, default=10, help="how many to show")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    settings = current_settings()
    configure(settings)
    configure_logging(settings)  # text, or JSON lines with CARNET_LOG_FORMAT=json
    match args.command:
        case "dev":
            return _dev(settings)
        case "serve":
            if args.workers < 1:
                parser.error("--workers must be at least 1")
            _serve(settings, reload=args.reload, workers=args.workers)
        case "worker":
            _worker(settings, burst=args.burst)
        case "migrate":
            migrate(settings)
        case "makemigrations":
            from carnet.migrations import makemigrations

            return makemigrations(args.name)
        case "schema":
            if args.breaking:
                return _schema_breaking(args.released, args.changelog)
            return _schema(args.check)
        case "seed-demo":
            return _seed_demo(settings)
        case "seed-contacts":
            return _seed_contacts(settings, args)
        case "outbox":
            return _outbox(settings, args.limit)
    return 0

