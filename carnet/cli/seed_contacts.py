"""`carnet seed-contacts`: fills one organization with many realistic contacts, fast.

Rows are written in batches, each batch in one transaction: PostgreSQL receives them with
COPY (asyncpg's `copy_records_to_table` on Tortoise's own connection), SQLite with one
`executemany` per table. Contact ids are reserved from the table's sequence before a batch
is drawn (`nextval` on PostgreSQL, `sqlite_sequence` on SQLite), so the app can keep
inserting meanwhile; the next batch is drawn in a thread while the database ingests the
current one. The rows themselves come from carnet/cli/seed_contact_data.py.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tortoise import connections
from tortoise.fields import JSONField
from tortoise.transactions import in_transaction

from carnet.cli.seed_contact_data import (
    Generator,
    Layout,
    Question,
    draw,
    midnight_utc,
)
from carnet.cli.seed_words import COLOURS, GROUPS
from models.affiliations import Affiliation
from models.colours import Colour
from models.contacts import ConsentRecord, Contact
from models.custom_fields import CustomField, CustomFieldAnswer
from models.groups import Group, GroupMember
from models.organizations import Organization
from resolvers.common.time import now

BATCH_SIZE = 50_000
# Drawing rows is Python work: a worker process draws the next batch while this one sends
# the current one and the database ingests it (2 cores: one of each is the best split).
DRAWING_PROCESSES = 1
ANALYZED = (
    "contact",
    "consent_record",
    "contact_group_member",
    "affiliation",
    "custom_field_answer",
)


@dataclass
class SeedReport:
    contacts: int = 0
    memberships: int = 0
    consent_records: int = 0
    affiliations: int = 0
    answers: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    analyze_seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.contacts / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        return [
            f"{self.contacts:,} contacts in {self.seconds:.1f} s ({self.rate:,.0f} contacts/s), "
            f"then {self.analyze_seconds:.1f} s of statistics",
            f"  {self.memberships:,} group memberships, {self.consent_records:,} consent "
            f"records, {self.affiliations:,} affiliations, {self.answers:,} custom-field "
            f"answers, {self.duplicates:,} intentional duplicates",
            f"  peak memory (RSS) {self.peak_rss_mb:,.0f} MB",
        ]


class _Table:
    """A model's table as COPY/executemany sees it: its columns, in order, with the model's
    defaults for every column a row leaves out (so a column added later still gets one)."""

    def __init__(self, model, with_id: bool = False) -> None:
        meta = model._meta
        self.name = meta.db_table
        self.columns: list[str] = []
        self.defaults: dict[str, Any] = {}
        for name, column in meta.fields_db_projection.items():
            if name == meta.pk_attr and not with_id:
                continue  # the database numbers these rows
            field = meta.fields_map[name]
            default = field.default() if callable(field.default) else field.default
            if isinstance(default, Enum):
                default = default.value
            if isinstance(field, JSONField) and default is not None:
                default = json.dumps(default)
            self.columns.append(column)
            self.defaults[column] = default

    @property
    def layout(self) -> Layout:
        return self.columns, self.defaults


_TABLES: dict[str, _Table] = {}
# Contacts first: every other table refers to them.
TABLE_ORDER = ("contacts", "memberships", "consent_records", "affiliations", "answers")


def _table(key: str) -> _Table:
    if not _TABLES:
        _TABLES.update(
            contacts=_Table(Contact, with_id=True),
            memberships=_Table(GroupMember),
            consent_records=_Table(ConsentRecord),
            affiliations=_Table(Affiliation),
            answers=_Table(CustomFieldAnswer),
        )
    return _TABLES[key]


def _postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


async def _write(connection, key: str, records: list[tuple]) -> None:
    if not records:
        return
    table = _table(key)
    if _postgres():
        async with connection.acquire_connection() as raw:  # the asyncpg connection
            await raw.copy_records_to_table(table.name, records=records, columns=table.columns)
    else:
        columns = ", ".join(f'"{c}"' for c in table.columns)
        slots = ", ".join("?" for _ in table.columns)
        await connection.execute_many(
            f'INSERT INTO "{table.name}" ({columns}) VALUES ({slots})', records
        )


async def reserve_contact_ids(count: int) -> list[int]:
    """`count` fresh contact ids that nothing else will be given."""
    if _postgres():
        _, rows = await connections.get("default").execute_query(
            "SELECT nextval(pg_get_serial_sequence('contact', 'id')) AS id "
            "FROM generate_series(1, $1)",
            [count],
        )
        return [row["id"] for row in rows]
    # AUTOINCREMENT numbers new rows after max(sqlite_sequence.seq, max(id)): raising seq
    # sets the range aside.
    async with in_transaction() as connection:
        _, rows = await connection.execute_query(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'contact'), 0),"
            " COALESCE((SELECT MAX(id) FROM contact), 0)) AS last"
        )
        last = rows[0]["last"]
        await connection.execute_query("DELETE FROM sqlite_sequence WHERE name = 'contact'")
        await connection.execute_query(
            "INSERT INTO sqlite_sequence (name, seq) VALUES ('contact', ?)", [last + count]
        )
    return list(range(last + 1, last + count + 1))


async def _palette(organization: Organization) -> tuple[list[int], list[int]]:
    """The organization's groups and colours, with the seeded ones added if missing."""
    for name in GROUPS:
        await Group.get_or_create(organization_id=organization.id, name=name)
    if not await Colour.filter(organization_id=organization.id).exists():
        for name, hex_ in COLOURS:
            await Colour.create(organization_id=organization.id, name=name, hex=hex_)
    groups = (
        await Group.filter(organization_id=organization.id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    colours = (
        await Colour.filter(organization_id=organization.id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return list(groups), list(colours)


async def seed_contacts(
    organization: Organization,
    count: int,
    *,
    seed: int = 0,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[str], None] = print,
) -> SeedReport:
    """Adds `count` contacts (and their groups, consent history, affiliations, answers) to
    the organization; the same seed on the same day draws the same rows."""
    group_ids, colour_ids = await _palette(organization)
    questions = [
        Question(f.id, f.type, tuple(c["value"] for c in f.choices or []))
        for f in await CustomField.filter(
            organization_id=organization.id, archived_at__isnull=True
        ).order_by("id")
    ]
    generator = Generator(
        organization.id, seed, group_ids, colour_ids, questions, midnight_utc(now().date())
    )
    layouts = {key: _table(key).layout for key in TABLE_ORDER}
    sizes = [min(batch_size, count - start) for start in range(0, count, batch_size)]
    report = SeedReport()
    started = time.perf_counter()
    # One batch is drawn in this process: starting a worker would cost more than it saves.
    pool = (
        ProcessPoolExecutor(DRAWING_PROCESSES, multiprocessing.get_context("spawn"))
        if len(sizes) > 1
        else nullcontext(None)
    )
    with pool as executor:
        ahead = [
            asyncio.create_task(_drawn(executor, generator, layouts, n, size))
            for n, size in enumerate(sizes[: DRAWING_PROCESSES + 1])
        ]
        for number in range(len(sizes)):
            records, duplicates = await ahead.pop(0)
            following = number + len(ahead) + 1
            if following < len(sizes):
                ahead.append(
                    asyncio.create_task(
                        _drawn(executor, generator, layouts, following, sizes[following])
                    )
                )
            async with in_transaction() as connection:
                for key in TABLE_ORDER:
                    await _write(connection, key, records[key])
            for key in TABLE_ORDER:
                setattr(report, key, getattr(report, key) + len(records[key]))
            report.duplicates += duplicates
            elapsed = time.perf_counter() - started
            progress(
                f"  {report.contacts:>10,} / {count:,} contacts "
                f"({report.contacts / elapsed:,.0f}/s)"
            )
    report.seconds = time.perf_counter() - started
    report.analyze_seconds = await refresh_statistics(progress)
    report.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await _refresh_duplicate_suggestions(organization, progress)
    return report


async def _drawn(
    executor: Executor | None,
    generator: Generator,
    layouts: dict[str, Layout],
    number: int,
    size: int,
):
    ids = await reserve_contact_ids(size)
    if executor is None:
        return await asyncio.to_thread(draw, generator, layouts, number, ids)
    return await asyncio.get_running_loop().run_in_executor(
        executor, draw, generator, layouts, number, ids
    )


async def refresh_statistics(progress: Callable[[str], None] = print) -> float:
    """Planner statistics for the new rows; on PostgreSQL VACUUM also empties the trigram
    index's pending list and marks pages all-visible (index-only scans)."""
    started = time.perf_counter()
    progress("  refreshing the planner's statistics (VACUUM ANALYZE)")
    connection = connections.get("default")
    if _postgres():
        for table in ANALYZED:
            await connection.execute_script(f'VACUUM ANALYZE "{table}"')
    else:
        await connection.execute_script("ANALYZE")
    return time.perf_counter() - started


async def _refresh_duplicate_suggestions(
    organization: Organization, progress: Callable[[str], None]
) -> None:
    from resolvers.duplicates import suggestions as duplicates

    refresh = getattr(duplicates, "refresh_all_suggestions", None)
    if refresh is None:
        progress("  duplicate suggestions: not maintained in this version, nothing to refresh")
        return
    progress("  refreshing the duplicate suggestions")
    started = time.perf_counter()
    suggestions = await refresh(organization.id)
    progress(f"  {suggestions:,} duplicate suggestions in {time.perf_counter() - started:.1f} s")


async def find_organization(reference: str) -> Organization | None:
    """By id, relay global id, or exact name."""
    from schema import ids

    if reference.isdigit():
        return await Organization.get_or_none(id=int(reference))
    pk = ids.pk_or_none(reference, "Organization")
    if pk is not None:
        return await Organization.get_or_none(id=pk)
    return await Organization.filter(name=reference).first()
