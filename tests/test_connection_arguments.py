"""A connection's page arguments (first, last, after, before) are checked before anything
runs: a mutation that selects a badly paged connection in its payload writes nothing."""

import pytest

from models.audit import AuditEvent
from models.groups import Group

GROUP_CREATE = """mutation($input: GroupCreateInput!VARIABLES) {
  groupCreate(input: $input) {
    group { id PAGE }
    errors { code field message }
  }
}"""


def group_create(page: str) -> str:
    """groupCreate selecting the new group's members paged by `page`, its variables declared."""
    declared = {"$n": ", $n: Int", "$after": ", $after: String"}
    return GROUP_CREATE.replace(
        "VARIABLES", "".join(d for name, d in declared.items() if name in page)
    ).replace("PAGE", f"members{page} {{ edges {{ node {{ id }} }} }}")


@pytest.mark.parametrize(
    ("page", "variables", "message"),
    [
        ("(last: -1)", {}, "last must be between 1 and 100."),
        ("(first: $n)", {"n": 101}, "first must be between 1 and 100."),
        ("(first: 0)", {}, "first must be between 1 and 100."),
        ("(first: 1, last: 1)", {}, "Pass either first or last, not both."),
        ("(after: $after)", {"after": "not a cursor"}, "Malformed cursor."),
        ('(before: "W1sxXV0=")', {}, "Malformed cursor."),  # [[1]]
        ("(after: $after)", {"after": "WyJ6eiIsMV0="}, None),  # ["zz", 1]: after every row
    ],
)
async def test_a_badly_paged_payload_connection_writes_nothing(
    api, world, page, variables, message
):
    result = await api.as_(world.admin).execute(
        group_create(page),
        {"input": {"organizationId": world.org_gid, "name": "Juniors"}, **variables},
    )
    if message is None:  # a well-formed cursor: the write happens, the page is empty
        assert result.ok("groupCreate")["group"]["members"] == {"edges": []}
        assert await Group.filter(name="Juniors").exists()
        return
    assert result.error_codes == ["BAD_USER_INPUT"], result.errors
    assert result.errors[0]["message"] == message
    assert result.data is None
    assert not await Group.filter(name="Juniors").exists()
    assert not await AuditEvent.filter(action__startswith="group.").exists()


async def test_the_error_is_in_the_readers_language(api, world):
    result = await api.as_(world.admin).execute(
        group_create("(last: 0)"),
        {"input": {"organizationId": world.org_gid, "name": "Juniors"}},
        **{"accept-language": "fr"},
    )
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["message"] == "last doit être entre 1 et 100."
    assert not await Group.filter(name="Juniors").exists()


async def test_a_fragment_and_a_query_are_checked_too(api, world):
    query = """query($o: ID!) { ...Page }
      fragment Page on Query { contacts(organizationId: $o, first: 500) { totalCount } }"""
    result = await api.as_(world.admin).execute(query, {"o": world.org_gid})
    assert result.error_codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["message"] == "first must be between 1 and 100."
