"""Every protected field, run by every role, anonymously and from the other organization.

Allowed exactly when the permission table says so; a refused call changes no row.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from tortoise import connections

import tests.accounts_authz_examples
import tests.affiliations_authz_examples
import tests.authz_examples
import tests.billing_authz_examples
import tests.bulk_actions_authz_examples
import tests.bulk_authz_examples
import tests.bulk_progress_authz_examples
import tests.catalogue_authz_examples
import tests.colours_authz_examples
import tests.contacts_authz_examples
import tests.custom_fields_authz_examples
import tests.duplicates_authz_examples
import tests.groups_authz_examples
import tests.messaging_authz_examples
import tests.privacy_authz_examples
import tests.sales_authz_examples
import tests.segments_authz_examples
import tests.staff_authz_examples
import tests.teams_authz_examples
import tests.transfers_exports_authz_examples
import tests.transfers_imports_authz_examples  # noqa: F401
from carnet.settings import Settings
from models.staff import Role
from resolvers.common.permissions import ROLE_PERMISSIONS, Permission, Relationship
from schema import build_schema
from schema.permissions import RequiresPermission
from tests.support.authz import EXAMPLES
from tests.support.subscriptions import first_event

CALLERS = [*(role.value for role in Role), "ANONYMOUS", "OTHER_ORGANIZATION"]


def protected_fields() -> dict[str, RequiresPermission]:
    """Every field of the schema carrying the permission directive, by coordinate."""
    found = {}
    graphql_schema = build_schema(Settings())._schema
    for type_name, graphql_type in graphql_schema.type_map.items():
        for field_name, field in (getattr(graphql_type, "fields", None) or {}).items():
            definition = (field.extensions or {}).get("strawberry-definition")
            for directive in getattr(definition, "directives", None) or []:
                if isinstance(directive, RequiresPermission):
                    found[f"{type_name}.{field_name}"] = directive
    return found


PROTECTED = protected_fields()


def test_every_root_field_declares_what_it_requires():
    graphql_schema = build_schema(Settings())._schema
    roots = (
        graphql_schema.query_type,
        graphql_schema.mutation_type,
        graphql_schema.subscription_type,
    )
    for root in roots:
        for name in root.fields:
            assert f"{root.name}.{name}" in PROTECTED, f"{root.name}.{name} has no directive"


def test_every_protected_field_has_an_example():
    missing = sorted(set(PROTECTED) - set(EXAMPLES))
    stale = sorted(set(EXAMPLES) - set(PROTECTED))
    assert not missing, f"add tests/authz examples for: {missing}"
    assert not stale, f"examples for fields that do not exist or are unprotected: {stale}"


def test_descriptions_say_what_is_required():
    graphql_schema = build_schema(Settings())._schema
    for coordinate, directive in PROTECTED.items():
        type_name, field_name = coordinate.split(".")
        description = graphql_schema.type_map[type_name].fields[field_name].description or ""
        if directive.permission:
            assert f"Requires {Permission(directive.permission).value}" in description


def expected(directive: RequiresPermission, caller: str) -> str:
    relationship = directive.relationship
    if relationship is Relationship.PUBLIC:
        return "ALLOWED"
    if caller == "ANONYMOUS":
        return "UNAUTHENTICATED"
    if relationship in (Relationship.AUTHENTICATED, Relationship.SELF):
        return "ALLOWED"
    if caller == "OTHER_ORGANIZATION":
        return "NOT_FOUND"
    granted = ROLE_PERMISSIONS[Role(caller)]
    # A field guarded by a relationship alone (no permission) is refused to staff roles.
    needed = [p for p in (directive.permission, directive.and_permission) if p]
    return "ALLOWED" if needed and all(p in granted for p in needed) else "FORBIDDEN"


def outcome(result, field: str) -> str:
    refusals = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"}
    codes = [c for c in result.error_codes if c in refusals]
    if codes:
        return codes[0]
    assert not result.errors, result.errors
    payload = result.data[field]
    if isinstance(payload, dict) and "NOT_FOUND" in [
        e["code"] for e in payload.get("errors") or []
    ]:
        return "NOT_FOUND"
    return "ALLOWED"


async def database_state() -> str:
    """A digest of every row of every table (tiny in tests), to prove nothing changed."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        _, rows = await connection.execute_query(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        )
    else:
        _, rows = await connection.execute_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    digest = hashlib.sha256()
    for name in sorted(r["name"] for r in rows):
        _, content = await connection.execute_query(f'SELECT * FROM "{name}" ORDER BY 1')
        digest.update(json.dumps([dict(r) for r in content], default=str).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("coordinate", sorted(EXAMPLES))
async def test_authorization_matrix(coordinate, api, world, settings):
    example = EXAMPLES[coordinate]
    directive = PROTECTED[coordinate]
    if example.record_requires is not None:
        directive = RequiresPermission(permission=example.record_requires)
    field = coordinate.split(".")[1]
    failures = []
    for caller_name in CALLERS:
        caller = {"ANONYMOUS": None, "OTHER_ORGANIZATION": world.outsider}.get(
            caller_name,
            world.staff.get(Role[caller_name]) if caller_name in Role.__members__ else None,
        )
        variables = await example.variables(world, caller)
        before = await database_state()
        if example.trigger is not None:
            result = await first_event(
                settings,
                example.operation,
                variables,
                getattr(caller, "token", None),
                lambda: example.trigger(world),
            )
            before = await database_state()  # the trigger itself writes
        else:
            result = await api.as_(caller).execute(example.operation, variables)
        got, want = outcome(result, field), expected(directive, caller_name)
        if got != want:
            failures.append(f"{caller_name}: got {got}, expected {want} ({result.body})")
        elif want != "ALLOWED" and await database_state() != before:
            failures.append(f"{caller_name}: refused, yet rows changed")
    assert not failures, "\n".join(failures)
