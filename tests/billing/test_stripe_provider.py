"""The Stripe-compatible provider: form-encoded calls with the bearer key and the
refund's idempotency key as `Idempotency-Key`; refusals are final, 5xx is for a retry."""

from __future__ import annotations

import httpx
import pytest

from carnet.providers.payments import ProviderError, StripeProvider


def provider(handler) -> StripeProvider:
    return StripeProvider("https://stripe.test", "sk_test_1", httpx.MockTransport(handler))


async def test_a_refund_carries_its_idempotency_key():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "re_123"})

    result = await provider(handler).refund("ch_1", 2500, "carnet-refund-7")
    assert result.reference == "re_123"
    [request] = seen
    assert request.url.path == "/v1/refunds"
    assert request.headers["Idempotency-Key"] == "carnet-refund-7"
    assert request.headers["Authorization"] == "Bearer sk_test_1"
    assert dict(httpx.QueryParams(request.content.decode())) == {
        "charge": "ch_1",
        "amount": "2500",
    }


async def test_a_refusal_is_final_and_a_server_error_is_retried():
    def refused(request):
        return httpx.Response(400, json={"error": {"code": "charge_already_refunded"}})

    with pytest.raises(ProviderError, match="charge_already_refunded"):
        await provider(refused).refund("ch_1", 100, "k")

    def down(request):
        return httpx.Response(503, json={})

    with pytest.raises(httpx.HTTPStatusError):
        await provider(down).charge(100, "CAD", "tok_visa", "k")
