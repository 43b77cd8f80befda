"""The relationship matrix: one example per client-side field, run as each relationship
to one household.

Each domain registers, in `tests/*_relationship_examples.py`, for every field whose
directive names ACCOUNT_PRIMARY or ACCOUNT_CONTACT (and every field of `me { accounts }`),
an operation and the variables to run it with, built per column on a fresh household
item. `tests/test_relationship_authorization.py` runs each example in every column and
fails when such a field has no example.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.accounts.flows import MEMBER_ADD, create, holder, years_ago
from tests.support.world import Member, World, make_member

# The columns: the account's primary, a FULL contact, an ASSIGNED contact the item is
# assigned to, the same ASSIGNED contact with the item not assigned, the primary of
# another account, staff (OWNER) of another organization, anonymous.
COLUMNS = (
    "PRIMARY",
    "FULL",
    "ASSIGNED",
    "ASSIGNED_NOT_ASSIGNED",
    "OTHER_ACCOUNT",
    "OTHER_ORGANIZATION",
    "ANONYMOUS",
)
# What the relationship alone implies; examples override per column.
DEFAULTS = {
    "ACCOUNT_PRIMARY": {"PRIMARY": "ALLOWED"},
    "ACCOUNT_CONTACT": {"PRIMARY": "ALLOWED", "FULL": "ALLOWED", "ASSIGNED": "ALLOWED"},
}


@dataclass
class Household:
    """An account (primary Marie with a login, child Léa), a FULL and an ASSIGNED contact
    with logins, and another account whose primary has a login."""

    api: Any
    world: World
    account: dict
    users: dict[str, Member]
    links: dict[str, str]  # AccountContact ids: primary, child, full, assigned

    def caller(self, column: str) -> Member | None:
        return {
            "PRIMARY": self.users["primary"],
            "FULL": self.users["full"],
            "ASSIGNED": self.users["assigned"],
            "ASSIGNED_NOT_ASSIGNED": self.users["assigned"],
            "OTHER_ACCOUNT": self.users["elsewhere"],
            "OTHER_ORGANIZATION": self.world.outsider,
        }.get(column)

    def assigned_to(self, column: str) -> list[str]:
        """The contacts an item is assigned to in this column."""
        return [] if column == "ASSIGNED_NOT_ASSIGNED" else [self.links["assigned"]]


async def household(api, world: World, password_hash: str) -> Household:
    users = {
        who: await make_member(f"{who}@example.test", password_hash, None, None)
        for who in ("primary", "full", "assigned", "elsewhere")
    }
    account = await create(
        api,
        world,
        holder(email="primary@example.test"),
        [{"firstName": "Léa", "birthDate": years_ago(8)}],
    )
    by_name = {c["contact"]["firstName"]: c["id"] for c in account["contacts"]}
    links = {"primary": by_name["Marie"], "child": by_name["Léa"]}
    for who, level in (("full", "FULL"), ("assigned", "ASSIGNED")):
        added = await api.as_(world.agent).execute(
            MEMBER_ADD,
            {
                "input": {
                    "accountId": account["id"],
                    "kind": "OTHER",
                    "accessLevel": level,
                    "member": {"firstName": who.title(), "email": f"{who}@example.test"},
                }
            },
        )
        links[who] = added.ok("clientAccountMemberAdd")["accountContact"]["id"]
    await create(
        api, world, holder(firstName="Else", lastName="Where", email="elsewhere@example.test")
    )
    return Household(api, world, account, users, links)


Variables = Callable[[Household, str], Awaitable[dict[str, Any]]]


async def no_variables(house: Household, column: str) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class RelationshipExample:
    operation: str
    variables: Variables = no_variables
    expected: dict[str, str] = field(default_factory=dict)
    # For `me { accounts { … } }` fields: how to tell, from the household's account as
    # the caller sees it, that this column's item (the variables' "__item__") is there
    # (else "NOTHING").
    sees: Callable[[dict, Any], bool] | None = None


RELATIONSHIP_EXAMPLES: dict[str, RelationshipExample] = {}


def relationship_example(coordinate: str, operation: str, variables=no_variables, **extra):
    """Registers the example for a coordinate such as `Mutation.myAccountFormSign`."""
    if coordinate in RELATIONSHIP_EXAMPLES:
        raise ValueError(f"two relationship examples for {coordinate}")
    RELATIONSHIP_EXAMPLES[coordinate] = RelationshipExample(operation, variables, **extra)


def expected_outcome(relationship: str | None, example: RelationshipExample, column: str):
    if column in example.expected:
        return example.expected[column]
    if column == "ANONYMOUS":
        return "UNAUTHENTICATED"
    if example.sees is not None:
        return "NOTHING"
    return DEFAULTS.get(relationship or "", {}).get(column, "NOT_FOUND")
