"""The table and the JSON line bench/contacts.py prints."""

from __future__ import annotations

import statistics
from typing import Any


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(
    all_queries: list[Any],  # contacts.Query
    seeding: dict | None,
    contacts: int,
    graphql_statements: int,
    client_kind: str,
    page: int,
) -> dict:
    header = (
        f"{'query':<28} {'raw p50/p95 ms':>15} {'ORM p50/p95 ms':>15} {'ratio':>6} "
        f"{'GraphQL p50/p95':>16} {'ratio':>6} {'GraphQL-ORM':>11}  plan (top node [indexes])"
    )
    print(f"\ncontacts list, page of {page}, {contacts:,} contacts in the organization")
    print(header)
    print("-" * len(header))
    figures = []
    for query in all_queries:
        t = query.timings
        p = {name: (statistics.median(v), percentile(v, 0.95)) for name, v in t.items()}
        orm_ratio = p["orm"][0] / p["raw"][0]
        graphql_ratio = p["graphql"][0] / p["raw"][0]
        over_resolver = p["graphql"][0] - p["orm"][0]
        cpu = {name: statistics.median(v) for name, v in query.cpu.items()}
        print(
            f"{query.name:<28} {p['raw'][0]:>7.2f}/{p['raw'][1]:<7.2f} "
            f"{p['orm'][0]:>7.2f}/{p['orm'][1]:<7.2f} {orm_ratio:>5.2f}× "
            f"{p['graphql'][0]:>8.2f}/{p['graphql'][1]:<7.2f} {graphql_ratio:>5.2f}× "
            f"{over_resolver:>8.2f} ms  {query.plan}"
        )
        figures.append(
            {
                "query": query.name,
                "statements": len(query.statements),
                "raw_ms": p["raw"],
                "orm_ms": p["orm"],
                "graphql_ms": p["graphql"],
                "orm_over_raw_p50": round(orm_ratio, 2),
                "graphql_over_raw_p50": round(graphql_ratio, 2),
                "graphql_minus_orm_ms": round(over_resolver, 2),
                "lookups_ms": p["lookups"],
                "cpu_p50_ms": {name: round(v, 3) for name, v in cpu.items()},
                "graphql_minus_orm_cpu_ms": round(cpu["graphql"] - cpu["orm"], 2),
                "plan": query.plan,
            }
        )
    print(
        "\nratios are p50 over p50; the raw side runs every statement the resolver sends "
        "(the page, plus e.g. the group-ownership check), prepared once."
    )
    first = figures[0]
    lookups = first["lookups_ms"][0]
    print(
        f"GraphQL-ORM: what a page costs over its resolver call (p50 - p50), through "
        f"{client_kind}; for {first['query']}: {first['graphql_minus_orm_ms']:.2f} ms, of which "
        f"{lookups:.2f} ms for looking up the caller (the session and the role, one "
        f"statement, timed alone), and {first['graphql_minus_orm_ms'] - lookups:.2f} ms for "
        f"the HTTP view, GraphQL and completing {page} nodes."
    )
    lookups_cpu = first["cpu_p50_ms"]["lookups"]
    print(
        f"the same in this process's CPU time (p50 - p50; steadier on a busy machine): "
        f"{first['graphql_minus_orm_cpu_ms']:.2f} ms, of which {lookups_cpu:.2f} ms for the "
        f"look-ups and {first['graphql_minus_orm_cpu_ms'] - lookups_cpu:.2f} ms for the rest."
    )
    print(
        f"a GraphQL request sends {graphql_statements} statements: the caller's (session, "
        "user and role in the organization, joined), then the resolver's."
    )
    if seeding:
        print(
            f"seeding: {seeding['contacts']:,} contacts in {seeding['seconds']} s "
            f"({seeding['contacts_per_second']:,}/s), then {seeding['statistics_seconds']} s "
            f"of VACUUM ANALYZE; peak RSS {seeding['peak_rss_mb']} MB"
        )
    return {
        "contacts": contacts,
        "client": client_kind,
        "queries": figures,
        "seeding": seeding,
    }
