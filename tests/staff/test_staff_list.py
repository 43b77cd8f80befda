"""The staff list: filters, sorting, pagination, and a fixed number of queries."""

from carnet.statements import count_statements
from tests.staff.flows import STAFF_ADD, add_input

LIST = """query($o: ID!, $filter: StaffFilterInput, $sort: StaffSortInput, $first: Int,
               $after: String) {
  staffMembers(organizationId: $o, filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { node { role status user { email lastName } invitation { state } } }
    pageInfo { hasNextPage endCursor }
  } }"""


def emails(result):
    return [e["node"]["user"]["email"] for e in result.data["staffMembers"]["edges"]]


async def test_filters_and_sorting(api, world):
    viewer = api.as_(world.viewer)
    await api.as_(world.admin).execute(STAFF_ADD, add_input(world, "zed@example.test"))
    by_email = await viewer.execute(
        LIST, {"o": world.org_gid, "sort": {"field": "EMAIL", "direction": "DESC"}}
    )
    assert emails(by_email)[0] == "zed@example.test"
    assert by_email.data["staffMembers"]["totalCount"] == 6
    admins = await viewer.execute(
        LIST, {"o": world.org_gid, "filter": {"roles": ["ADMIN", "OWNER"]}}
    )
    assert sorted(emails(admins)) == ["admin@alpha.test", "owner@alpha.test"]
    invited = await viewer.execute(LIST, {"o": world.org_gid, "filter": {"statuses": ["INVITED"]}})
    assert emails(invited) == ["zed@example.test"]
    assert invited.data["staffMembers"]["edges"][0]["node"]["invitation"] == {"state": "PENDING"}
    found = await viewer.execute(LIST, {"o": world.org_gid, "filter": {"search": "BILLING"}})
    assert emails(found) == ["billing-admin@alpha.test"]


async def test_pages_follow_the_sort(api, world):
    viewer = api.as_(world.viewer)
    seen, after = [], None
    while True:
        page = await viewer.execute(
            LIST, {"o": world.org_gid, "first": 2, "after": after, "sort": {"field": "EMAIL"}}
        )
        seen += emails(page)
        info = page.data["staffMembers"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert seen == sorted(seen) and len(seen) == 5


async def test_statements_do_not_grow_with_the_page(api, world):
    viewer = api.as_(world.viewer)
    admin = api.as_(world.admin)
    with count_statements() as small:
        await viewer.execute(LIST, {"o": world.org_gid, "first": 2})
    for i in range(12):
        await admin.execute(STAFF_ADD, add_input(world, f"m{i}@example.test"))
    with count_statements() as large:
        result = await viewer.execute(LIST, {"o": world.org_gid, "first": 15})
    assert len(result.data["staffMembers"]["edges"]) == 15
    # session, page, count, invitations of the invited ones
    assert len(large) <= len(small) + 1
