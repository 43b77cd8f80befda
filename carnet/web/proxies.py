"""The client's address: the socket's peer, or, when that peer is a trusted proxy
(`CARNET_TRUSTED_PROXIES`), the rightmost hop of X-Forwarded-For that is not one.

Read once, here, for every request and websocket: `scope["client"]` is rewritten, so
sign-in limits, sessions, the audit log and request logs all see the same address.
uvicorn's ProxyHeadersMiddleware reads the header (its trust test takes networks); this
keeps its answer only when it is an IP address, so a proxy that passes junk along cannot
put arbitrary text where an address is expected.
"""

from __future__ import annotations

import ipaddress

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from carnet.settings import Settings

_PEER = "carnet.peer"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class ClientAddressMiddleware:
    def __init__(self, app: ASGIApp, trusted: list[str]):
        self.app = app
        self.proxy_headers = ProxyHeadersMiddleware(self._checked, trusted_hosts=trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        scope[_PEER] = scope.get("client")
        await self.proxy_headers(scope, receive, send)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if client != scope[_PEER] and not (client and _is_address(client[0])):
            scope["client"] = scope[_PEER]
        await self.app(scope, receive, send)


def client_address_middleware(settings: Settings) -> list[Middleware]:
    """The middleware to put first; none when no proxy is trusted (the default)."""
    if not settings.trusted_proxies:
        return []
    trusted = [str(network) for network in settings.trusted_proxies]
    return [Middleware(ClientAddressMiddleware, trusted=trusted)]
