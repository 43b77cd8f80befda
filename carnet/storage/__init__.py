"""Files kept outside the database: one interface, a local-disk and an S3-compatible backend.

A stored file is named by a key that Carnet makes (`new_key`): the organization's id, what
the file is, and a random token, never anything a user typed. A file is written whole
(`put`) or in numbered parts (`put_part`, for files that grow round by round, such as an
export): reading it back (`open`) streams the parts in order as one file. Rows keep only
the key, so no list or read of a row ever loads a file.

`CARNET_STORAGE_URL` picks the backend: empty for `<var_dir>/files`, `file:///a/folder`,
or `s3://bucket/prefix` with the `CARNET_STORAGE_S3_*` settings.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from carnet.settings import Settings, current_settings

CHUNK_BYTES = 256 * 1024
# Lower-case words, digits, dots, dashes and underscores between slashes: no empty, `.` or
# `..` segment, no leading slash, so a key can never leave its backend's root.
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*", re.IGNORECASE)
_KIND = re.compile(r"[a-z0-9][a-z0-9-]*")
_MAX_KEY_LENGTH = 200
PARTS_SUFFIX = ".parts"  # a file written in parts keeps them under `<key>.parts/`
PART_DIGITS = 12  # part numbers are zero-padded so that names sort in number order


class FileMissing(LookupError):
    """No file is stored under the key."""


def check_key(key: str) -> str:
    segments = key.split("/")
    if len(key) > _MAX_KEY_LENGTH or not _KEY.fullmatch(key) or ".." in segments:
        raise ValueError(f"not a storage key: {key[:80]!r}")
    if any(segment.endswith(PARTS_SUFFIX) for segment in segments):  # a file's parts folder
        raise ValueError(f"not a storage key: {key[:80]!r}")
    return key


def new_key(organization_id: int, kind: str, extension: str = "") -> str:
    """A fresh key: `org/<id>/<kind>/<random>.<extension>` (`kind` like `contact-exports`)."""
    if not _KIND.fullmatch(kind) or (extension and not _KIND.fullmatch(extension)):
        raise ValueError("a kind and extension are lower-case words")
    name = secrets.token_hex(16) + (f".{extension}" if extension else "")
    return check_key(f"org/{int(organization_id)}/{kind}/{name}")


def part_name(number: int) -> str:
    if number < 0:
        raise ValueError("part numbers start at 0")
    return f"{number:0{PART_DIGITS}d}"


class Storage(ABC):
    """What every backend does. Keys are checked by each method (`check_key`)."""

    @abstractmethod
    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        """Stores the file whole (replacing any file or parts under the key); its size."""

    @abstractmethod
    async def put_part(self, key: str, number: int, data: bytes) -> None:
        """Stores part `number` of a file written in parts; writing a part again replaces
        it, so a round repeated after a crash does not duplicate its bytes."""

    @abstractmethod
    def open(self, key: str) -> AsyncIterator[bytes]:
        """The file's bytes in chunks (its parts in order); FileMissing when absent."""

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """The file's size in bytes (its parts added up), or None when nothing is stored."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Removes the file and its parts; nothing to remove is not an error."""

    async def exists(self, key: str) -> bool:
        return await self.size(key) is not None

    async def signed_url(
        self, key: str, *, expires_in: int, filename: str | None = None
    ) -> str | None:
        """A URL that serves the file without Carnet for `expires_in` seconds, where the
        backend has such URLs and the file is stored whole; else None (stream it)."""
        return None

    @asynccontextmanager
    async def stored(self, key: str, data: bytes) -> AsyncIterator[str]:
        """Puts the file, then runs the block that records it; deletes the file again if
        the block fails, so no file outlives a row that was never written."""
        await self.put(key, data)
        try:
            yield key
        except BaseException:
            await self.delete(key)
            raise

    async def read(self, key: str) -> bytes:
        """The whole file in memory: only for files whose size is bounded (an import)."""
        return b"".join([chunk async for chunk in self.open(key)])


def storage_for(settings: Settings) -> Storage:
    url = settings.storage_url
    scheme = urlsplit(url).scheme if url else ""
    if scheme in ("", "file"):
        from carnet.storage.local import LocalStorage

        root = urlsplit(url).path if url else settings.var_dir / "files"
        return LocalStorage(root)
    if scheme == "s3":
        from carnet.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    raise ValueError(f"CARNET_STORAGE_URL: unknown scheme {scheme!r} (file or s3)")


_built: dict[tuple, Storage] = {}


def _identity(settings: Settings) -> tuple:
    return (
        settings.storage_url,
        str(settings.var_dir),
        settings.storage_s3_endpoint_url,
        settings.storage_s3_region,
        settings.storage_s3_access_key_id,
        settings.storage_s3_secret_access_key.get_secret_value(),
        settings.storage_s3_addressing_style,
    )


def current_storage() -> Storage:
    """The backend of this process's settings (built once per storage configuration)."""
    settings = current_settings()
    identity = _identity(settings)
    found = _built.get(identity)
    if found is None:
        found = _built[identity] = storage_for(settings)
    return found
