"""SMS delivery. `outbox` (the default): nothing leaves, the message is logged and stays on
its outbox row. `twilio`: a Twilio-compatible REST API (`POST {sms_api_url}/Accounts/{sid}/
Messages.json`, form From/To/Body, basic auth), through httpx.

`send` raises `SmsRejected` when the provider refused the message for good (a 4xx other
than 429): retrying would not help. Other failures (429, 5xx, the network) raise
`SmsNotAccepted`: the provider did not take the message, and the job may try again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from carnet.settings import current_settings

log = logging.getLogger("carnet.sms")


@dataclass(frozen=True)
class Sms:
    recipient: str
    text: str
    sender: str = ""


class SmsNotAccepted(Exception):
    """Not taken by the provider (429, 5xx, unreachable): may be tried again."""


class SmsRejected(Exception):
    """Refused by the provider for good (an invalid number...): not to be tried again."""


class Pacer:
    """At most `rate` provider calls per second from this process (CARNET_SMS_PER_SECOND):
    each call takes the next free slot, 1/rate after the previous one, and waits for it.
    Several worker processes each keep their own pace. The clock and sleep are injectable
    so tests count deferrals on a virtual clock instead of measuring time."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.clock, self.sleep = clock, sleep
        self.next_slot = float("-inf")
        self.deferrals = 0  # calls that had to wait for their slot

    async def wait(self, rate: float) -> None:
        if rate <= 0:
            return
        moment = self.clock()
        slot = max(moment, self.next_slot)
        self.next_slot = slot + 1 / rate  # taken before awaiting: concurrent calls queue up
        if slot > moment:
            self.deferrals += 1
            await self.sleep(slot - moment)


PACER = Pacer()


def keeps_copy() -> bool:
    settings = current_settings()
    return settings.sms_backend == "outbox" and not settings.is_production


async def send(sms: Sms) -> str:
    """Sends the SMS; the provider's id for it ("" for the outbox)."""
    settings = current_settings()
    if settings.sms_backend != "twilio":
        log.info("SMS to %s (outbox; see `carnet outbox`)", sms.recipient)
        return ""
    await PACER.wait(settings.sms_per_second)
    sid = settings.sms_account_sid
    url = f"{settings.sms_api_url.rstrip('/')}/Accounts/{sid}/Messages.json"
    try:
        async with httpx.AsyncClient(timeout=max(5, settings.job_timeout_seconds // 3)) as client:
            response = await client.post(
                url,
                data={"From": sms.sender or settings.sms_from, "To": sms.recipient,
                      "Body": sms.text},
                auth=(sid, settings.sms_auth_token.get_secret_value()),
            )
    except httpx.HTTPError as exc:
        raise SmsNotAccepted(repr(exc)) from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise SmsNotAccepted(f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise SmsRejected(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        return str(response.json().get("sid", ""))
    except ValueError:
        return ""
