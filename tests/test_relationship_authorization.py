"""Every client-side field, run as each relationship to one household: its primary, a FULL
contact, an ASSIGNED contact (with and without the item assigned), the primary of another
account, staff of another organization and anonymously. Refused calls change no row.

The fields come from the schema: every field whose `@requiresPermission` names
ACCOUNT_PRIMARY or ACCOUNT_CONTACT, and every field of `me { accounts { … } }`.
"""

from __future__ import annotations

import pytest

import tests.accounts_relationship_examples
import tests.billing_relationship_examples
import tests.catalogue_relationship_examples
import tests.my_accounts_relationship_examples  # noqa: F401
from carnet.settings import Settings
from resolvers.common.permissions import Relationship
from schema import build_schema
from tests.support.relationships import (
    COLUMNS,
    RELATIONSHIP_EXAMPLES,
    expected_outcome,
    household,
)
from tests.test_authorization import PROTECTED, database_state

CLIENT_SIDE = {Relationship.ACCOUNT_PRIMARY, Relationship.ACCOUNT_CONTACT}
# The account's identity, not an item of it: seen by whoever sees the account.
IDENTITY = {"id", "name", "organizationId", "organizationName", "role", "accessLevel"}
REFUSALS = ("UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND")


def client_side_fields() -> dict[str, str | None]:
    """Coordinate → relationship name, for the fields the matrix must cover."""
    found = {
        coordinate: directive.relationship.name
        for coordinate, directive in PROTECTED.items()
        if directive.relationship in CLIENT_SIDE
    }
    my_account = build_schema(Settings())._schema.type_map["MyClientAccount"]
    for name in my_account.fields:
        if name not in IDENTITY:
            found[f"MyClientAccount.{name}"] = None
    return found


FIELDS = client_side_fields()


def test_the_schema_has_client_side_fields():
    assert "Mutation.myAccountFormSign" in FIELDS
    assert "MyClientAccount.documents" in FIELDS


def test_every_client_side_field_has_a_relationship_example():
    missing = sorted(set(FIELDS) - set(RELATIONSHIP_EXAMPLES))
    stale = sorted(set(RELATIONSHIP_EXAMPLES) - set(FIELDS))
    assert not missing, f"add tests/*_relationship_examples.py entries for: {missing}"
    assert not stale, f"relationship examples for fields that are not client-side: {stale}"


def outcome(result, field: str, example, house, item) -> str:
    codes = [c for c in result.error_codes if c in REFUSALS]
    if codes:
        return codes[0]
    assert not result.errors, result.errors
    if example.sees is not None:
        mine = [a for a in result.data["me"]["accounts"] if a["id"] == house.account["id"]]
        return "ALLOWED" if mine and example.sees(mine[0], item) else "NOTHING"
    payload = result.data[field]
    if payload is None:
        return "NOTHING"
    codes = [e["code"] for e in payload.get("errors") or []]
    return (codes[0] if codes[0] in REFUSALS else f"ERROR {codes}") if codes else "ALLOWED"


@pytest.mark.parametrize("coordinate", sorted(RELATIONSHIP_EXAMPLES))
async def test_relationship_matrix(coordinate, api, world, password_hash):
    example = RELATIONSHIP_EXAMPLES[coordinate]
    house = await household(api, world, password_hash)
    field = coordinate.split(".")[1]
    failures = []
    for column in COLUMNS:
        variables = await example.variables(house, column)
        files = variables.pop("__files__", None)
        item = variables.pop("__item__", None)
        caller = api.as_(house.caller(column))
        before = await database_state()
        if files:
            result = await caller.upload(example.operation, variables, files)
        else:
            result = await caller.execute(example.operation, variables)
        got = outcome(result, field, example, house, item)
        want = expected_outcome(FIELDS.get(coordinate), example, column)
        if got != want:
            failures.append(f"{column}: got {got}, expected {want} ({result.body})")
        elif want != "ALLOWED" and await database_state() != before:
            failures.append(f"{column}: refused, yet rows changed")
    assert not failures, "\n".join(failures)
