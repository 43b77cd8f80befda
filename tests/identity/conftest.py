"""Identity tests: the marker that finds the few tests reading the French catalog, and a
client calling from a second address."""

import httpx
import pytest

from tests.support.api import Api


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "french_catalog: asserts that a message comes back in French "
        "(reads carnet/locale/fr/LC_MESSAGES/messages.po)",
    )


@pytest.fixture
async def api_elsewhere(app) -> Api:
    """A client calling from another address than `api` (for per-client throttling)."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://carnet.test") as client:
        yield Api(client)


@pytest.fixture
async def api_at(app):
    """`api_at("198.51.100.4")`: a client calling from that address."""
    clients: list[httpx.AsyncClient] = []

    def at(address: str) -> Api:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://carnet.test"))
        return Api(clients[-1])

    yield at
    for client in clients:
        await client.aclose()
