"""What completing a page of contacts costs per row, beyond its SQL: no task and no
Strawberry `Info` per contact, so that 50 rows cost little more than 5 (bench/contacts.py
measures the time; these count the work that made it grow)."""

import asyncio

import pytest
from strawberry.types.info import Info

from models.contacts import Contact
from resolvers.contacts.records import refresh_derived

PAGE = """query($o: ID!, $first: Int!) {
  contacts(organizationId: $o, first: $first) {
    edges { cursor node { id displayName archived isUser } }
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


@pytest.fixture
async def tasks_created():
    """Counts the asyncio tasks created on the running loop while the test runs."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    created: list[object] = []

    def factory(loop, coro, **options):
        created.append(coro)
        if previous is not None:
            return previous(loop, coro, **options)
        return asyncio.Task(coro, loop=loop, **options)

    loop.set_task_factory(factory)
    yield created
    loop.set_task_factory(previous)


@pytest.fixture
def infos_built(monkeypatch):
    built: list[Info] = []
    original = Info.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Info, "__init__", counting)
    return built


async def test_five_or_thirty_contacts_cost_the_same_tasks_and_infos(
    api, world, address_book, tasks_created, infos_built
):
    viewer = api.as_(world.viewer)
    await viewer.execute(PAGE, {"o": world.org_gid, "first": 1})  # caches warmed
    work = {}
    for size in (5, 30):
        tasks_created.clear()
        infos_built.clear()
        result = await viewer.execute(PAGE, {"o": world.org_gid, "first": size})
        assert not result.errors, result.errors
        edges = result.data["contacts"]["edges"]
        assert len(edges) == size
        work[size] = (len(tasks_created), len(infos_built))
    assert work[5] == work[30], work
    node = edges[0]["node"]
    assert node["displayName"] == "Person P00"
    assert node["archived"] is False and node["isUser"] is False
    assert node["id"] and edges[0]["cursor"]
