"""Short-lived download links, shared by every file Carnet hands out through a link
(contact exports, account documents).

The rules are the contact export's: a link is a bearer secret shown once in the payload of
the mutation that minted it, it dies after `export_link_ttl_seconds` or once it has served
the file, logs name it only by its keyed digest, and the web route answers 404 for a link
that never existed and 410 for one that expired or was used. A link to a record with no
token column of its own is signed instead (`sign`/`verify`, keyed by the secret key) and
used up in redis (`use_once`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from carnet import queue
from carnet.auth import token_digest
from carnet.i18n import N_
from carnet.settings import Settings, current_settings
from carnet.storage import current_storage
from resolvers.common.time import now

MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: datetime


class LinkRefused(Exception):
    """The download route's refusal: 404 for a link that never existed (or was replaced),
    410 for one that expired, was used, or whose file was deleted."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Download:
    filename: str
    size: int  # bytes, for Content-Length
    chunks: AsyncIterator[bytes]  # the file, streamed from storage
    content_type: str = "text/csv; charset=utf-8"


def link_url(settings: Settings, route: str, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/{route}/{token}"


def unknown() -> LinkRefused:
    return LinkRefused(404, N_("This download link is not valid."))


def expired() -> LinkRefused:
    return LinkRefused(410, N_("This download link has expired. Ask for a new one in Carnet."))


def used() -> LinkRefused:
    return LinkRefused(
        410, N_("This download link has already been used. Ask for a new one in Carnet.")
    )


def _signature(purpose: str, payload: str) -> str:
    key = current_settings().secret_key.get_secret_value().encode()
    mac = hmac.new(key, f"download:{purpose}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def sign(purpose: str, pk: int, expires_at: datetime) -> str:
    """A link token naming record `pk` until `expires_at`, for `purpose` only; each one
    distinct (a random nonce), so using one up leaves any other link working."""
    nonce = secrets.token_hex(8)
    payload = f"{pk}.{int(expires_at.timestamp())}.{nonce}"
    return f"{payload}.{_signature(purpose, payload)}"


def verify(purpose: str, token: str) -> tuple[int, datetime]:
    """The record a signed token names and when it expires: 404 for a token not signed
    here (tampered, or for another purpose), 410 once expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise unknown()
    parts = token.split(".")
    if len(parts) != 4:
        raise unknown()
    pk, stamp, nonce, signature = parts
    if not (pk.isdigit() and stamp.isdigit() and nonce and signature):
        raise unknown()
    if not hmac.compare_digest(signature, _signature(purpose, f"{pk}.{stamp}.{nonce}")):
        raise unknown()
    expires_at = datetime.fromtimestamp(int(stamp), UTC)
    if expires_at <= now():
        raise expired()
    return int(pk), expires_at


async def use_once(digest: str, expires_at: datetime) -> None:
    """Uses a signed link up, by one atomic SET NX kept until the link expires anyway: of
    requests at once, one gets the file."""
    settings = current_settings()
    seconds = max(int((expires_at - now()).total_seconds()) + 1, 1)
    key = f"{settings.redis_prefix}:download-used:{digest}"
    if not await queue.pool().set(key, b"1", nx=True, ex=seconds):
        raise used()


def signed_link(settings: Settings, purpose: str, route: str, pk: int) -> DownloadLink:
    """A signed link to record `pk`, for `purpose`, served at `/<route>/<token>` until
    `export_link_ttl_seconds` from now."""
    expires_at = now() + timedelta(seconds=settings.export_link_ttl_seconds)
    return DownloadLink(link_url(settings, route, sign(purpose, pk, expires_at)), expires_at)


async def serve_once(
    token: str, expires_at: datetime, key: str, filename: str, content_type: str
) -> Download:
    """The stored file `key` a verified signed link names, the link used up: 410 when the
    file is gone (deleted, or its record was) or the link was used already."""
    storage = current_storage()
    size = await storage.size(key)
    if size is None:
        raise expired()
    await use_once(token_digest(token), expires_at)
    return Download(filename, size, storage.open(key), content_type)
