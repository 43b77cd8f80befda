"""Unsubscribe links: a signed token per (organization, contact, channel EMAIL), and the
withdrawal of that contact's EMAIL consent when the link is used.

The token names its organization and contact in clear and carries a keyed signature
(HMAC-SHA256 with `CARNET_SECRET_KEY`): nothing is stored, a link works as long as the key
is unchanged, and one cannot be forged or turned into another contact's. Using it twice
changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from carnet.settings import current_settings
from models.contacts import ConsentChannel, ConsentStatus, Contact
from models.organizations import Organization
from resolvers.common.actor import RequestMeta
from resolvers.common.errors import ErrorCollector
from resolvers.common.tasks import unit_of_work
from resolvers.contacts import consent

SOURCE = "unsubscribe link"
# The link of a test mail (messageTestSend): the page says so and changes nothing.
SAMPLE_TOKEN = "test"
_PURPOSE = b"unsubscribe:EMAIL:"
_SIGNATURE_LENGTH = 32  # hex characters: 128 bits
_MAX_TOKEN_LENGTH = 80


def _signature(organization_id: int, contact_id: int) -> str:
    key = current_settings().secret_key.get_secret_value().encode()
    payload = _PURPOSE + f"{organization_id}.{contact_id}".encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()[:_SIGNATURE_LENGTH]


def token_for(organization_id: int, contact_id: int) -> str:
    return f"{organization_id}.{contact_id}.{_signature(organization_id, contact_id)}"


def url_for(organization_id: int, contact_id: int) -> str:
    """The contact's own unsubscribe page, on the API's public address."""
    base = current_settings().public_url.rstrip("/")
    return f"{base}/unsubscribe/{token_for(organization_id, contact_id)}"


def url_maker(organization_id: int) -> Callable[[int], str]:
    """`url_for(organization_id, ·)` for a chunk's contacts: the key, the address and the
    organization's part of the signed payload prepared once, one HMAC per contact."""
    key = current_settings().secret_key.get_secret_value().encode()
    signer = hmac.new(key, _PURPOSE + f"{organization_id}.".encode(), hashlib.sha256)
    prefix = f"{current_settings().public_url.rstrip('/')}/unsubscribe/{organization_id}."

    def url(contact_id: int) -> str:
        mac = signer.copy()
        mac.update(str(contact_id).encode())
        return f"{prefix}{contact_id}.{mac.hexdigest()[:_SIGNATURE_LENGTH]}"

    return url


def parse(token: str) -> tuple[int, int] | None:
    """(organization id, contact id) of a well-signed token; None for anything else."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 18 for p in parts[:2]):
        return None
    organization_id, contact_id = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _signature(organization_id, contact_id)):
        return None
    return organization_id, contact_id


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    organization: Organization
    withdrawn: bool  # EMAIL consent is (now) withdrawn


async def _found(token: str) -> tuple[Contact, Organization] | None:
    ids = parse(token)
    if ids is None:
        return None
    contact = await Contact.filter(organization_id=ids[0], id=ids[1]).first()
    if contact is None:
        return None
    return contact, await Organization.get(id=ids[0])


async def recipient(token: str) -> Recipient | None:
    """Who the link is for, to ask them to confirm; None for a bad or stale link."""
    found = await _found(token)
    if found is None:
        return None
    contact, organization = found
    withdrawn = consent.current(contact, ConsentChannel.EMAIL) is ConsentStatus.WITHDRAWN
    return Recipient(contact, organization, withdrawn)


async def withdraw(token: str, meta: RequestMeta) -> Recipient | None:
    """Withdraws the contact's EMAIL consent at once, recorded with the source "unsubscribe
    link" and the request as proof; a second use records nothing. None for a bad link."""
    ids = parse(token)
    if ids is None:
        return None
    async with unit_of_work():
        contact = (
            await Contact.filter(organization_id=ids[0], id=ids[1]).select_for_update().first()
        )
        if contact is None:
            return None
        organization = await Organization.get(id=ids[0])
        if consent.current(contact, ConsentChannel.EMAIL) is not ConsentStatus.WITHDRAWN:
            errors = ErrorCollector()
            checked = consent.check(
                consent.ConsentChange(
                    channel=ConsentChannel.EMAIL,
                    status=ConsentStatus.WITHDRAWN,
                    source=SOURCE,
                    proof=_proof(token, meta),
                ),
                errors,
            )
            errors.raise_if_any()
            await consent.apply(contact, checked, None, meta)
    return Recipient(contact, organization, True)


def _proof(token: str, meta: RequestMeta) -> str:
    # The token names the contact and is signed: its digest proves which link was used
    # without keeping a working link in the history.
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return (
        f"Unsubscribe link used (token sha256:{digest}) from {meta.ip_address or 'unknown'}"
        f", user agent: {meta.user_agent or 'unknown'}"
    )
