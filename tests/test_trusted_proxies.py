"""The client's address behind a load balancer: read from X-Forwarded-For only when the
peer is a trusted proxy (CARNET_TRUSTED_PROXIES), else the socket's peer; it is what
sign-in limits, sessions and the audit log see."""

import httpx
import pytest
from pydantic import ValidationError

from carnet.settings import configure
from carnet.web.app import create_app
from tests.identity.flows import MY_SESSIONS, SIGN_IN, SignedIn
from tests.support.api import Api
from tests.support.world import PASSWORD

TRUSTED = "10.0.0.0/8, 192.0.2.1"
WRONG = "not the password"


@pytest.fixture
async def proxied_app(services, settings):
    app = create_app(services.settings(trusted_proxies=TRUSTED))
    configure(settings)  # create_app() made its settings the process's; put ours back
    return app


@pytest.fixture
async def from_peer(proxied_app):
    clients: list[httpx.AsyncClient] = []

    def connect(peer: str, app=None) -> Api:
        transport = httpx.ASGITransport(app=app or proxied_app, client=(peer, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://carnet.test"))
        return Api(clients[-1])

    yield connect
    for client in clients:
        await client.aclose()


async def seen_address(api: Api, forwarded: str | None = None) -> str:
    """The address the API recorded for a sign-in, as `mySessions` shows it."""
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    client = api.with_headers(**headers)
    variables = {"input": {"email": "loner@example.test", "password": PASSWORD}}
    tokens = (await client.execute(SIGN_IN, variables)).ok("tokenCreate")
    me = SignedIn(tokens["accessToken"])
    sessions = (await api.as_(me).execute(MY_SESSIONS, {"first": 1})).data["mySessions"]
    (edge,) = sessions["edges"]
    assert edge["node"]["current"]
    return edge["node"]["ipAddress"]


async def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(from_peer, world):
    assert await seen_address(from_peer("203.0.113.9"), "198.51.100.7") == "203.0.113.9"


async def test_a_trusted_proxy_names_the_client(from_peer, world):
    assert await seen_address(from_peer("10.1.2.3"), "198.51.100.7") == "198.51.100.7"
    assert await seen_address(from_peer("192.0.2.1"), "198.51.100.8") == "198.51.100.8"


async def test_the_rightmost_untrusted_hop_is_the_client(from_peer, world):
    # The client wrote the first entry itself; proxies append, the last trusted one last.
    forged = "6.6.6.6, 198.51.100.7, 10.9.9.9"
    assert await seen_address(from_peer("10.1.2.3"), forged) == "198.51.100.7"


async def test_a_forwarded_value_that_is_no_address_is_ignored(from_peer, world):
    assert await seen_address(from_peer("10.1.2.3"), "not-an-address") == "10.1.2.3"
    assert await seen_address(from_peer("10.1.2.3"), "") == "10.1.2.3"


async def test_no_proxy_is_trusted_by_default(api, world):
    # `api` calls the default app from 127.0.0.1.
    assert await seen_address(api, "198.51.100.7") == "127.0.0.1"


async def test_clients_behind_one_proxy_have_their_own_sign_in_limits(from_peer, world, settings):
    proxy = from_peer("10.0.0.5")
    guesser = proxy.with_headers(**{"x-forwarded-for": "198.51.100.66"})
    owner = proxy.with_headers(**{"x-forwarded-for": "198.51.100.77"})
    per_client = settings.login_max_failures * 4
    for n in range(per_client):
        variables = {"input": {"email": f"guess{n}@example.test", "password": WRONG}}
        assert (await guesser.execute(SIGN_IN, variables)).payload_codes("tokenCreate") == [
            "INVALID_CREDENTIALS"
        ]
    variables = {"input": {"email": "loner@example.test", "password": PASSWORD}}
    assert (await guesser.execute(SIGN_IN, variables)).error_codes == ["RATE_LIMITED"]
    assert (await owner.execute(SIGN_IN, variables)).ok("tokenCreate")


@pytest.mark.parametrize("value", ["not-a-network", "*", "10.0.0.0/33"])
def test_a_setting_that_is_not_a_list_of_networks_is_refused(services, value):
    with pytest.raises(ValidationError, match="trusted_proxies"):
        services.settings(trusted_proxies=value)


def test_the_setting_reads_comma_separated_networks_from_the_environment(services, monkeypatch):
    monkeypatch.setenv("CARNET_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32,192.0.2.1")
    networks = [str(n) for n in services.settings().trusted_proxies]
    assert networks == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32"]
    monkeypatch.setenv("CARNET_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    assert [str(n) for n in services.settings().trusted_proxies] == ["10.0.0.0/8"]
    monkeypatch.setenv("CARNET_TRUSTED_PROXIES", "[]")
    assert services.settings().trusted_proxies == []
