"""Authorization-matrix examples for an item's billing settings and the yearly RL-24
tax receipts (see tests/support/authz.py). Each call builds its own records."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.catalogue.flows import ERRORS, an_item, gid
from tests.support.authz import example
from tests.support.contacts import organization_id


async def an_item_id(world, caller):
    return {"id": gid("CatalogueItem", await an_item(world.organization))}


async def organization_and_year(world, caller):
    year = datetime.now(ZoneInfo(world.organization.timezone)).year
    return {**(await organization_id(world, caller)), "year": year}


example(
    "Mutation.catalogueItemBillingSet",
    "mutation($id: ID!) { catalogueItemBillingSet(input: {itemId: $id, rl24Eligible: true}) "
    f"{{ item {{ id rl24Eligible }} {ERRORS} }} }}",
    an_item_id,
)
example(
    "Mutation.taxReceiptsGenerate",
    "mutation($organizationId: ID!, $year: Int!) { taxReceiptsGenerate(input: "
    f"{{organizationId: $organizationId, year: $year}}) {{ year {ERRORS} }} }}",
    organization_and_year,
)
