"""Card payments and refunds through a payment provider, chosen by CARNET_PAYMENT_BACKEND.

`fake` (the default): in process, nothing leaves; it records every call and keeps one
result per idempotency key, as Stripe does, so a call repeated with the same key has one
effect (tests read `FAKE.calls` and `FAKE.refunds`). `stripe`: Stripe's HTTP API over
httpx, passing the key as the `Idempotency-Key` header.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import httpx

from carnet.settings import current_settings


class ProviderError(Exception):
    """The provider refused (a declined card, a charge already refunded): final."""


@dataclass(frozen=True)
class ProviderResult:
    reference: str  # the provider's id for the charge or refund


@dataclass
class FakeProvider:
    calls: list[tuple[str, str, dict]] = field(default_factory=list)  # (operation, key, params)
    charges: dict[str, ProviderResult] = field(default_factory=dict)  # by idempotency key
    refunds: dict[str, ProviderResult] = field(default_factory=dict)
    decline: bool = False  # tests: refuse the next calls
    _serial: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def charge(self, amount: int, currency: str, source: str, key: str) -> ProviderResult:
        self.calls.append(("charge", key, {"amount": amount, "currency": currency}))
        if self.decline:
            raise ProviderError("card_declined")
        if key not in self.charges:
            self.charges[key] = ProviderResult(f"ch_fake_{next(self._serial)}")
        return self.charges[key]

    async def refund(self, charge: str, amount: int, key: str) -> ProviderResult:
        self.calls.append(("refund", key, {"charge": charge, "amount": amount}))
        if self.decline:
            raise ProviderError("refund_declined")
        if key not in self.refunds:
            self.refunds[key] = ProviderResult(f"re_fake_{next(self._serial)}")
        return self.refunds[key]

    def reset(self) -> None:
        self.calls.clear()
        self.charges.clear()
        self.refunds.clear()
        self.decline = False


FAKE = FakeProvider()


class StripeProvider:
    """Stripe-compatible: form-encoded POSTs, bearer key, `Idempotency-Key` on every call."""

    def __init__(
        self, base_url: str, api_key: str, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.transport = transport  # tests: an httpx.MockTransport

    async def _post(self, path: str, data: dict, key: str) -> ProviderResult:
        headers = {"Authorization": f"Bearer {self.api_key}", "Idempotency-Key": key}
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=30, transport=self.transport
        ) as client:
            response = await client.post(path, data=data, headers=headers)
        if 400 <= response.status_code < 500 and response.status_code not in (409, 429):
            raise ProviderError(response.json().get("error", {}).get("code", "refused"))
        response.raise_for_status()  # 409, 429, 5xx: transient, the job retries with the key
        return ProviderResult(response.json()["id"])

    async def charge(self, amount: int, currency: str, source: str, key: str) -> ProviderResult:
        data = {"amount": amount, "currency": currency.lower(), "source": source}
        return await self._post("/v1/charges", data, key)

    async def refund(self, charge: str, amount: int, key: str) -> ProviderResult:
        return await self._post("/v1/refunds", {"charge": charge, "amount": amount}, key)


def provider() -> FakeProvider | StripeProvider:
    settings = current_settings()
    if settings.payment_backend == "stripe":
        return StripeProvider(settings.payment_api_url, settings.payment_api_key.get_secret_value())
    return FAKE
