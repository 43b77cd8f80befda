"""Password hashing (argon2id, off the event loop) and opaque random tokens (stored hashed)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from carnet.settings import current_settings

# A real hash to verify against when the email is unknown, so timing does not reveal
# which addresses have an account.
_DUMMY_PASSWORD = "not-a-real-password"


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_cost: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=1)


def _current_hasher() -> PasswordHasher:
    s = current_settings()
    return _hasher(s.argon2_time_cost, s.argon2_memory_cost_kib)


def _secret_bytes(secret: str) -> bytes:
    # JSON lets a client send a lone surrogate, which strict UTF-8 refuses to encode;
    # "surrogatepass" encodes it anyway and leaves every valid string's bytes unchanged.
    return secret.encode("utf-8", "surrogatepass")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_current_hasher().hash, _secret_bytes(password))


async def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _current_hasher()
    secret = _secret_bytes(password)

    def check() -> bool:
        try:
            return hasher.verify(password_hash or _dummy_hash(), secret) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _current_hasher().hash(_DUMMY_PASSWORD)


def new_token() -> str:
    """256 bits of randomness, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores: a lookup key that cannot be turned back into the token."""
    return hashlib.sha256(_secret_bytes(token)).hexdigest()


def email_digest(email: str) -> str:
    """A keyed hash of a typed address: without the secret key, no list of addresses can be
    hashed to find out which one was typed."""
    key = current_settings().secret_key.get_secret_value().encode()
    typed = email.encode("utf-8", "surrogatepass")
    return hmac.new(key, b"sign-in-email:" + typed, hashlib.sha256).hexdigest()[:16]
