"""Relationship-matrix examples of `me { accounts { … } }`: what each relationship sees of
the household's account. Each column's item is fresh (named after the column) and, for
items shown by assignment, assigned to the ASSIGNED contact except in ASSIGNED_NOT_ASSIGNED.
"NOTHING": the account or the item is absent from what the caller sees."""

from __future__ import annotations

from tests.accounts.test_features import CARD, FEATURES
from tests.accounts_relationship_examples import (
    a_document,
    a_form,
    a_member_document,
    a_request,
    a_table,
    staff,
)
from tests.billing.flows import open_invoice
from tests.support.relationships import relationship_example

EVER = 'from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z"'
EVERY_CONTACT = {"PRIMARY": "ALLOWED", "FULL": "ALLOWED", "ASSIGNED": "ALLOWED"}
HOUSEHOLD = {"PRIMARY": "ALLOWED", "FULL": "ALLOWED"}
PRIMARY_ONLY = {
    "PRIMARY": "ALLOWED",
    "FULL": "FORBIDDEN",
    "ASSIGNED": "FORBIDDEN",
    "ASSIGNED_NOT_ASSIGNED": "FORBIDDEN",
}


def mine(selection: str) -> str:
    return f"{{ me {{ accounts {{ id {selection} }} }} }}"


def item_ids(key: str):
    return lambda account, item: item in [i["id"] for i in account[key] or []]


async def document(house, column):
    return {"__item__": (await a_document(house, column))["id"]}


async def form(house, column):
    return {"__item__": (await a_form(house, column))["id"]}


async def table(house, column):
    return {"__item__": (await a_table(house, column))["id"]}


async def request(house, column):
    return {"__item__": (await a_request(house, column))["input"]["requestId"]}


async def member_document(house, column):
    return {"__item__": (await a_member_document(house, column))["id"]}


async def the_child(house, column):
    return {"__item__": "Léa"}


async def a_card(house, column):
    world = house.world
    features = {"o": world.org_gid, "cards": True}
    await staff(house, FEATURES, features, "organizationFeaturesUpdate", who=world.owner)
    number = f"C-{column}"
    card = {
        "accountContactId": house.links["child"],
        "number": number,
        "validFrom": "2026-01-01",
        "validTo": "2099-12-31",
    }
    await staff(house, CARD, {"input": card}, "membershipCardCreate")
    return {"__item__": number}


async def an_invoice(house, column):
    invoice = await open_invoice(house.api, house.world, house.account["id"])
    return {"__item__": invoice["number"]}


relationship_example(
    "MyClientAccount.people",
    mine("people { firstName }"),
    the_child,
    expected=HOUSEHOLD,
    sees=lambda account, name: name in [p["firstName"] for p in account["people"]],
)
relationship_example(
    "MyClientAccount.documents",
    mine("documents { id }"),
    document,
    expected=EVERY_CONTACT,
    sees=item_ids("documents"),
)
relationship_example(
    "MyClientAccount.forms",
    mine("forms { id }"),
    form,
    expected=EVERY_CONTACT,
    sees=item_ids("forms"),
)
relationship_example(
    "MyClientAccount.tables",
    mine("tables { id }"),
    table,
    expected=EVERY_CONTACT,
    sees=item_ids("tables"),
)
relationship_example(
    "MyClientAccount.requests",
    mine("requests { id }"),
    request,
    expected=EVERY_CONTACT,
    sees=item_ids("requests"),
)
relationship_example(
    "MyClientAccount.memberDocuments",
    mine("memberDocuments { id }"),
    member_document,
    expected={"PRIMARY": "ALLOWED"},
    sees=item_ids("memberDocuments"),
)
relationship_example(
    "MyClientAccount.membershipCards",
    mine("membershipCards { number }"),
    a_card,
    expected=HOUSEHOLD,
    sees=lambda account, number: number in [c["number"] for c in account["membershipCards"]],
)
relationship_example(
    "MyClientAccount.invoices",
    mine("invoices { number }"),
    an_invoice,
    expected=PRIMARY_ONLY,
    sees=lambda account, number: number in [i["number"] for i in account["invoices"] or []],
)
relationship_example(
    "MyClientAccount.statement",
    mine(f"statement({EVER}) {{ entries {{ kind }} }}"),
    an_invoice,
    expected=PRIMARY_ONLY,
    sees=lambda account, _: bool((account["statement"] or {}).get("entries")),
)
