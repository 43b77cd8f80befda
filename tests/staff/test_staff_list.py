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


PAGE = """query($o: ID!, $sort: StaffSortInput, $first: Int, $after: String, $last: Int,
               $before: String) {
  staffMembers(organizationId: $o, sort: $sort, first: $first, after: $after, last: $last,
               before: $before) {
    edges { node { user { email } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def walk(client, variables, forward: bool) -> list[str]:
    """Every page of the list, first/after (forward) or last/before (backward)."""
    seen, cursor = [], None
    while True:
        if forward:
            page = await client.execute(PAGE, {**variables, "first": 3, "after": cursor})
        else:
            page = await client.execute(PAGE, {**variables, "last": 3, "before": cursor})
        connection = page.data["staffMembers"]
        emails = [e["node"]["user"]["email"] for e in connection["edges"]]
        seen = seen + emails if forward else emails + seen
        info = connection["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return seen
        cursor = info["endCursor"] if forward else info["startCursor"]


async def test_name_ties_page_without_gaps_or_repeats_both_ways(api, world):
    admin = api.as_(world.admin)
    for i, (first, last) in enumerate(
        [("Same", "Name")] * 5 + [("Other", "Name"), ("same", "name"), ("Ann", "Aardvark")]
    ):
        variables = add_input(world, f"tie{i}@example.test", firstName=first, lastName=last)
        (await admin.execute(STAFF_ADD, variables)).ok("staffAdd")
    for direction in ("ASC", "DESC"):
        variables = {"o": world.org_gid, "sort": {"field": "NAME", "direction": direction}}
        everyone = await admin.execute(PAGE, {**variables, "first": 100})
        expected = [e["node"]["user"]["email"] for e in everyone.data["staffMembers"]["edges"]]
        assert len(expected) == len(set(expected)) == 13
        assert await walk(admin, variables, forward=True) == expected, direction
        assert await walk(admin, variables, forward=False) == expected, direction
    ascending = await admin.execute(
        PAGE, {"o": world.org_gid, "sort": {"field": "NAME"}, "first": 100}
    )
    first_five = [e["node"]["user"]["email"] for e in ascending.data["staffMembers"]["edges"]][:1]
    assert first_five == ["tie7@example.test"]  # Aardvark


async def test_search_is_case_insensitive_and_takes_a_full_name(api, world):
    admin = api.as_(world.admin)
    variables = add_input(world, "Nora.N@Example.test", firstName="Nora", lastName="Nouvelle")
    (await admin.execute(STAFF_ADD, variables)).ok("staffAdd")
    for search in ("nora", "NOUVELLE", "nora nouvelle", "  Nouvelle   NORA ", "NORA.N@EXAMPLE"):
        found = await admin.execute(LIST, {"o": world.org_gid, "filter": {"search": search}})
        assert emails(found) == ["nora.n@example.test"], search
    for search in ("nora admin", "%", "_a"):
        found = await admin.execute(LIST, {"o": world.org_gid, "filter": {"search": search}})
        assert emails(found) == [], search


INVITATIONS = """query($o: ID!) { staffInvitations(organizationId: $o) {
  edges { node { email member { role status user { email } } } } } }"""


async def test_an_invitation_says_which_membership_it_offers_in_one_query_per_page(api, world):
    admin = api.as_(world.admin)
    (await admin.execute(STAFF_ADD, add_input(world, "a@example.test", role="VIEWER"))).ok(
        "staffAdd"
    )
    with count_statements() as few:
        listed = await admin.execute(INVITATIONS, {"o": world.org_gid})
    assert listed.data["staffInvitations"]["edges"] == [
        {
            "node": {
                "email": "a@example.test",
                "member": {
                    "role": "VIEWER",
                    "status": "INVITED",
                    "user": {"email": "a@example.test"},
                },
            }
        }
    ]
    for i in range(6):
        (await admin.execute(STAFF_ADD, add_input(world, f"m{i}@example.test"))).ok("staffAdd")
    with count_statements() as many:
        listed = await admin.execute(INVITATIONS, {"o": world.org_gid})
    assert len(listed.data["staffInvitations"]["edges"]) == 7
    assert len(many) == len(few)
