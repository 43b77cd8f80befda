"""The contacts list at a million contacts: a page of 50 through the app (the resolver, and
the whole GraphQL request) against the exact same SQL sent through asyncpg directly, with
prepared statements, interleaved in the same run; and the seeding rate.

    /tmp/venv/bin/python bench/contacts.py [--count 1000000] [--iterations 200]
        [--database-url postgres://postgres@127.0.0.1:5432/carnet_bench]

The database (CARNET_BENCH_DATABASE_URL by default) is kept between runs: created and
migrated if missing, seeded once with `--count` contacts (`carnet seed-contacts`'s code),
so reruns start measuring at once. Prints a table, then one JSON line. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from contacts_graphql import graphql_client, graphql_page, profile
from contacts_report import report
from harness import check_checkout, stop_process
from tortoise import Tortoise
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.migrations.api.migrate import migrate

from carnet.auth import hash_password
from carnet.cli import embedded_redis
from carnet.cli.seed_contacts import seed_contacts
from carnet.db import tortoise_config
from carnet.settings import Environment, Settings
from carnet.statements import count_statements
from carnet.web.app import create_app
from models.contacts import ConsentChannel, ConsentStatus, Contact
from models.groups import Group
from models.identity import User
from models.organizations import Organization
from models.staff import MembershipStatus, Role, StaffMembership
from resolvers.common.actor import Actor, RequestMeta
from resolvers.common.time import now
from resolvers.contacts import search
from resolvers.identity.caller import look_up
from resolvers.identity.sessions import start_session
from resolvers.organizations.access import active_actor
from schema import ids

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/carnet_bench"
ORGANIZATION = "Carnet bench"
OWNER = "bench-contacts@carnet.test"
PAGE = 50
LATER_PAGE = 20  # the page (d) reaches by cursor


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Query:
    name: str
    filters: search.ContactFilter
    variables: dict  # the same list through GraphQL
    after: str | None = None
    statements: list[tuple[str, list]] = field(default_factory=list)  # what the ORM sends
    timings: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # this process's CPU time
    plan: str = ""
    rows: int = 0  # on the measured page (PAGE unless the address book is small)


async def ensure_database(url: str) -> None:
    parts = urlsplit(url)
    admin = await asyncpg.connect(urlunsplit(parts._replace(scheme="postgresql", path="/postgres")))
    try:
        name = parts.path.lstrip("/")
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            progress(f"creating database {name}")
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def organization_and_owner() -> tuple[Organization, User]:
    organization = await Organization.filter(name=ORGANIZATION).first()
    if organization is None:
        organization = await Organization.create(name=ORGANIZATION, timezone="America/Toronto")
    owner = await User.get_or_none(email=OWNER)
    if owner is None:
        owner = await User.create(
            email=OWNER,
            first_name="Bench",
            last_name="Owner",
            password_hash=await hash_password("bench password"),
            email_verified_at=now(),
        )
    await StaffMembership.get_or_create(
        organization=organization,
        user=owner,
        defaults={"role": Role.OWNER, "status": MembershipStatus.ACTIVE},
    )
    return organization, owner


async def seed_once(organization: Organization, count: int) -> dict | None:
    present = await Contact.filter(organization_id=organization.id).count()
    if present >= count:
        progress(f"{present:,} contacts already seeded: measuring")
        return None
    missing = count - present
    progress(f"seeding {missing:,} contacts (once; later runs reuse them)")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = await seed_contacts(organization, missing, seed=present, progress=progress)
    for line in report.lines():
        progress(line)
    return {
        "contacts": report.contacts,
        "seconds": round(report.seconds, 1),
        "contacts_per_second": round(report.rate),
        "statistics_seconds": round(report.analyze_seconds, 1),
        "peak_rss_mb": round(report.peak_rss_mb),
        "rss_before_mb": round(rss_before),
    }


async def queries(organization: Organization) -> list[Query]:
    parents = await Group.get(organization_id=organization.id, name="Parents")
    group_gid = ids.encode("Group", parents.id)
    return [
        Query("(a) first page by name", search.ContactFilter(), {}),
        Query(
            "(b) search tremblay + group",
            search.ContactFilter(search="tremblay", group_ids=[parents.id]),
            {"search": "tremblay", "filter": {"groups": {"ids": [group_gid]}}},
        ),
        Query(
            "(c) search + consent + age",
            search.ContactFilter(
                search="gagnon",
                consent_channel=ConsentChannel.EMAIL,
                consent_statuses=[ConsentStatus.EXPRESS],
                age_min=18,
                age_max=65,
            ),
            {
                "search": "gagnon",
                "filter": {
                    "consent": {"channel": "EMAIL", "statuses": ["EXPRESS"]},
                    "age": {"min": 18, "max": 65},
                },
            },
        ),
        Query(f"(d) page {LATER_PAGE} by cursor", search.ContactFilter(), {}),
    ]


async def app_page(actor: Actor, query: Query) -> list:
    page = await search.contacts(
        actor, query.filters, search.ContactSort.NAME, False, first=PAGE, after=query.after
    )
    return page.items


def recording() -> tuple[list[tuple[str, list]], Callable[[], None]]:
    """Captures the (sql, parameters) Tortoise sends to PostgreSQL, until undone."""
    sent: list[tuple[str, list]] = []
    original = AsyncpgDBClient.execute_query

    async def execute_query(self, query, values=None):
        sent.append((query, list(values or [])))
        return await original(self, query, values)

    AsyncpgDBClient.execute_query = execute_query

    def undo() -> None:
        AsyncpgDBClient.execute_query = original

    return sent, undo


async def capture(actor: Actor, query: Query) -> None:
    """The SQL the app sends for the query, and the cursor of the later page for (d)."""
    if query.name.startswith("(d)"):
        for _ in range(LATER_PAGE - 1):
            page = await search.contacts(
                actor, query.filters, search.ContactSort.NAME, False, first=PAGE, after=query.after
            )
            query.after = page.cursors[-1]
        query.variables = {"after": query.after}
    sent, undo = recording()
    try:
        rows = await app_page(actor, query)
    finally:
        undo()
    if not rows:
        raise RuntimeError(f"{query.name}: no contacts match; seed more (--count)")
    query.rows = len(rows)
    query.statements = sent


async def explain(raw: asyncpg.Connection, query: Query) -> str:
    """The page query's plan: its top node and the indexes it reads."""
    sql, values = query.statements[-1]
    plan = json.loads(await raw.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *values))[0]["Plan"]
    indexes: list[str] = []

    def walk(node: dict) -> None:
        if "Index Name" in node:
            indexes.append(node["Index Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    short = sorted({name.replace("idx_contact_organiz_", "contact(org,…)_") for name in indexes})
    return f"{plan['Node Type']} [{', '.join(short) or 'no index'}]"


async def measure(
    app,
    token: str,
    actor: Actor,
    raw: asyncpg.Connection,
    organization_gid: str,
    all_queries: list[Query],
    iterations: int,
    warmup: int,
    client_kind: str,
) -> None:
    async def lookups() -> None:
        # What a request spends finding its caller before the resolver: the session, its
        # user and the role in the organization, in one statement (Context.sign_in's).
        caller = await look_up(token, actor.organization.id)
        if caller is None or active_actor(caller.session.user, caller.membership, meta) is None:
            raise RuntimeError("the bench owner cannot sign in")

    meta = RequestMeta()
    async with graphql_client(app, token, client_kind) as client:
        for query in all_queries:
            prepared = [(await raw.prepare(sql), values) for sql, values in query.statements]

            async def run_raw(prepared=prepared) -> None:
                for statement, values in prepared:
                    await statement.fetch(*values)

            async def run_orm(query=query) -> None:
                await app_page(actor, query)

            async def run_graphql(query=query) -> None:
                await graphql_page(client, organization_gid, query)

            variants: dict[str, Callable[[], Awaitable[None]]] = {
                "raw": run_raw,
                "orm": run_orm,
                "graphql": run_graphql,
                "lookups": lookups,
            }
            query.timings = {name: [] for name in variants}
            query.cpu = {name: [] for name in variants}
            rng = random.Random(0)
            for round_number in range(warmup + iterations):
                order = list(variants.items())
                rng.shuffle(order)  # interleaved, in a varying order: drift hits all alike
                for name, run in order:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    await run()
                    if round_number >= warmup:
                        query.timings[name].append((time.perf_counter() - started) * 1000)
                        query.cpu[name].append((time.process_time() - cpu_started) * 1000)
            query.plan = await explain(raw, query)
            progress(f"  measured {query.name}")


async def main(args: argparse.Namespace) -> dict:
    url = args.database_url.replace("postgresql://", "postgres://", 1)
    await ensure_database(url)
    var_dir = Path(tempfile.mkdtemp(prefix="carnet-bench-"))
    settings = Settings(
        environment=Environment.TEST,
        var_dir=var_dir,
        database_url=url,
        redis_prefix="carnet-bench-contacts",
    )
    redis = embedded_redis.start(settings)
    try:
        await migrate(config=tortoise_config(settings))
        await Tortoise.close_connections()
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            organization, owner = await organization_and_owner()
            seeding = await seed_once(organization, args.count)
            membership = await StaffMembership.get(organization=organization, user=owner)
            actor = Actor(owner, organization, membership)
            token = (await start_session(owner, "bench", RequestMeta(), settings)).access_token
            contacts = await Contact.filter(organization_id=organization.id).count()
            all_queries = await queries(organization)
            for query in all_queries:
                await capture(actor, query)
            raw = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
            try:
                org_gid = ids.encode("Organization", organization.id)
                await measure(
                    app,
                    token,
                    actor,
                    raw,
                    org_gid,
                    all_queries,
                    args.iterations,
                    args.warmup,
                    args.client,
                )
                async with graphql_client(app, token, args.client) as client:
                    with count_statements() as statements:
                        await graphql_page(client, org_gid, all_queries[0])
                    if args.profile:
                        await profile(client, org_gid, all_queries[0], args.profile, 100)
            finally:
                await raw.close()
            return report(all_queries, seeding, contacts, len(statements), args.client, PAGE)
    finally:
        stop_process(redis)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("CARNET_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--count",
        type=int,
        default=1_000_000,
        help="contacts the organization should hold (seeded once)",
    )
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--client",
        choices=("asgi", "httpx"),
        default="asgi",
        help="how GraphQL requests reach the app: called as a server would (asgi), or "
        "through httpx's ASGI transport, which adds the client's own cost",
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="also cProfile 100 GraphQL requests of (a) into FILE"
    )
    return parser.parse_args()


if __name__ == "__main__":
    check_checkout()
    # SIGTERM unwinds like Ctrl-C, so the embedded redis-server is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(json.dumps(asyncio.run(main(parse_args()))))
