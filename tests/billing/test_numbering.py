"""Invoice numbers are gapless per organization, even when drafts are finalized at once
(on PostgreSQL, concurrently: the counter row is locked FOR UPDATE), and a refused
finalize uses no number."""

from __future__ import annotations

import asyncio

from models.billing import Invoice
from schema import ids
from tests.billing.flows import CREATE, FINALIZE, LINE_ADD, household, open_invoice


async def _draft(caller, gid: str, lines: int = 1) -> str:
    draft = (await caller.execute(CREATE, {"a": gid})).ok("invoiceCreate")["invoice"]
    for _ in range(lines):
        variables = {"i": draft["id"], "d": "Pass", "q": 1, "u": 700, "c": "CAD", "t": []}
        (await caller.execute(LINE_ADD, variables)).ok("invoiceLineAdd")
    return draft["id"]


async def test_concurrent_finalizes_number_one_to_n_without_gaps(api, world):
    account, _ = await household(world)
    gid = ids.encode("ClientAccount", account.id)
    caller = api.as_(world.billing_admin)
    drafts = [await _draft(caller, gid) for _ in range(8)]
    empty = await _draft(caller, gid, lines=0)  # refused: must not use a number
    results = await asyncio.gather(
        *(caller.execute(FINALIZE, {"i": d}) for d in [*drafts[:4], empty, *drafts[4:]])
    )
    numbers = sorted(
        r.data["invoiceFinalize"]["invoice"]["number"]
        for r in results
        if r.data["invoiceFinalize"]["invoice"]
    )
    assert numbers == list(range(1, 9))
    # Another organization counts on its own.
    assert await Invoice.filter(organization_id=world.other_organization.id).count() == 0


async def test_each_organization_counts_from_one(api, world):
    account, _ = await household(world)
    first = await open_invoice(api, world, ids.encode("ClientAccount", account.id))
    assert first["number"] == 1
