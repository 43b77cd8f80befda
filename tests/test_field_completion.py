"""What completing a row of a page costs in graphql-core, beyond its SQL: its scalar fields
are read without a resolve info each, and nothing runs per field that only concerns
arguments (the text cleaning of schema/text_arguments.py). bench/contacts.py measures the
time; these count the work per row, which pages of 5 and 30 tell apart."""

import sys

import pytest

from models.contacts import Contact
from resolvers.contacts.records import refresh_derived
from schema.execution import ExecutionContext

PAGE = """query($o: ID!, $first: Int!) {
  contacts(organizationId: $o, first: $first) {
    edges { cursor node { id displayName archived kind createdAt } }
    pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture
async def address_book(world):
    people = []
    for i in range(30):
        person = Contact(organization_id=world.organization.id, first_name="Person")
        person.last_name = f"P{i:02}"
        refresh_derived(person)
        people.append(person)
    await Contact.bulk_create(people)


async def _page(api, world, size: int) -> dict:
    result = await api.as_(world.viewer).execute(PAGE, {"o": world.org_gid, "first": size})
    assert not result.errors, result.errors
    assert len(result.data["contacts"]["edges"]) == size
    return result.data["contacts"]


async def test_a_row_builds_no_resolve_info(
    api, world, address_book, monkeypatch
):
    built: list[str] = []
    original = ExecutionContext.build_resolve_info

    def counting(self, field_def, field_nodes, parent_type, path):
        built.append(f"{parent_type.name}.{field_nodes[0].name.value}")
        return original(self, field_def, field_nodes, parent_type, path)

    monkeypatch.setattr(ExecutionContext, "build_resolve_info", counting)
    await _page(api, world, 1)  # caches warmed
    counts = {}
    for size in (5, 30):
        built.clear()
        page = await _page(api, world, size)
        counts[size] = len(built)
    # The edge, its cursor and node, and the node's id, displayName, archived, kind and
    # createdAt are all read without one: 5 rows or 30, the same infos.
    assert counts[30] == counts[5], built
    node = page["edges"][0]["node"]
    assert node["displayName"] == "Person P00" and node["kind"] == "PERSON"
    assert node["archived"] is False and node["createdAt"] and node["id"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_text_cleaning_runs_for_fields_with_arguments_only(api, world, address_book):
    calls: dict[int, int] = {}

    def run():
        seen = 0

        def profile(frame, event, arg):
            nonlocal seen
            if event == "call" and frame.f_code.co_filename.endswith("text_arguments.py"):
                seen += 1

        return profile, lambda: seen

    await _page(api, world, 1)
    for size in (5, 30):
        profile, seen = run()
        sys.setprofile(profile)
        try:
            await _page(api, world, size)
        finally:
            sys.setprofile(None)
        calls[size] = seen()
    assert calls[5] == calls[30], calls
    assert calls[5] > 0  # the root field's arguments were cleaned
