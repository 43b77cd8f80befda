"""A local fake of Stripe's charge and refund API, for a worker process to call over HTTP
(CARNET_PAYMENT_BACKEND=stripe, CARNET_PAYMENT_API_URL=`endpoint.url`).

It serves POST /v1/charges and /v1/refunds in the test's event loop, as Stripe does:
form-encoded, the `Idempotency-Key` header honoured (the same key answers the same object
and makes nothing new; the same key with other parameters is refused), every request
recorded in `received`, the objects made in `charges` / `refunds` by key.

To kill a worker while its charge is in flight, `hold_first_charge()` holds the first
charge request without answering until `release()`:
- `charge=False`: held before anything is charged (the request is in flight);
- `charge=True`: the card is charged, then the answer is held (the provider charged, the
  worker never learns it, as when it dies between the charge and writing the payment).
A held request answered after its client died is simply dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    path: str
    key: str  # the Idempotency-Key header ("" when absent)
    authorization: str
    form: dict[str, str]


class PaymentEndpoint:
    def __init__(self) -> None:
        self.received: list[Request] = []  # every request, in order
        self.charges: dict[str, dict] = {}  # by idempotency key: what was charged
        self.refunds: dict[str, dict] = {}
        self.declined_sources: set[str] = set()  # cards answered 402 card_declined
        self.held = asyncio.Event()  # set once the held request has arrived
        self._hold: bool | None = None  # None: hold nothing; else charge before holding
        self._release = asyncio.Event()
        self._params: dict[str, dict[str, str]] = {}  # by key: the parameters first sent
        self._serial = itertools.count(1)
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hold_first_charge(self, *, charge: bool) -> None:
        self._hold = charge

    def release(self) -> None:
        self._release.set()

    def charge_requests(self) -> list[Request]:
        return [r for r in self.received if r.path == "/v1/charges"]

    async def start(self) -> PaymentEndpoint:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.release()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await self._read(reader)
            self.received.append(request)
            status, payload = await self._answer(request)
            body = json.dumps(payload).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client died (a killed worker): nobody to answer
        finally:
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> Request:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        path = head[0].split(" ")[1]
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        return Request(
            path,
            headers.get("idempotency-key", ""),
            headers.get("authorization", ""),
            dict(parse_qsl(body.decode())),
        )

    async def _answer(self, request: Request) -> tuple[int, dict]:
        if request.path not in ("/v1/charges", "/v1/refunds"):
            return 404, {"error": {"code": "resource_missing"}}
        if request.key and self._params.setdefault(request.key, request.form) != request.form:
            return 400, {"error": {"type": "idempotency_error", "code": "idempotency_error"}}
        charging = request.path == "/v1/charges"
        holding = charging and self._hold is not None and not self.held.is_set()
        if holding and not self._hold:  # held in flight, nothing charged yet
            self.held.set()
            await self._release.wait()
            raise ConnectionError("released after its client was gone: never charged")
        if charging and request.form.get("source") in self.declined_sources:
            return 402, {"error": {"type": "card_error", "code": "card_declined"}}
        made = self.charges if charging else self.refunds
        if not request.key or request.key not in made:
            prefix = "ch" if charging else "re"
            made[request.key or f"no-key-{len(made)}"] = {
                "id": f"{prefix}_endpoint_{next(self._serial)}",
                "object": "charge" if charging else "refund",
                "status": "succeeded",
                **request.form,
            }
        answer = made[request.key] if request.key else list(made.values())[-1]
        if holding:  # charged: the answer is held
            self.held.set()
            await self._release.wait()
        return 200, answer
