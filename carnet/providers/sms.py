"""SMS delivery. `outbox` (the default): nothing leaves, the message is logged and stays on
its outbox row. `twilio`: a Twilio-compatible REST API (`POST {sms_api_url}/Accounts/{sid}/
Messages.json`, form From/To/Body, basic auth), through httpx.

`send` raises `SmsRejected` when the provider refused the message for good (a 4xx other
than 429): retrying would not help. Other failures (429, 5xx, the network) raise
`SmsNotAccepted`: the provider did not take the message, and the job may try again.
"""

from __future__ import annotations

import logging
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


def keeps_copy() -> bool:
    settings = current_settings()
    return settings.sms_backend == "outbox" and not settings.is_production


async def send(sms: Sms) -> str:
    """Sends the SMS; the provider's id for it ("" for the outbox)."""
    settings = current_settings()
    if settings.sms_backend != "twilio":
        log.info("SMS to %s (outbox; see `carnet outbox`)", sms.recipient)
        return ""
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
