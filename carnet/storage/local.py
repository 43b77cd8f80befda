"""Files on the local disk, under one root folder (`<var_dir>/files` by default).

Every write goes to a temporary file that is then renamed over the target, so a reader
never sees half a file and a crash leaves no torn one. Disk calls run in a thread: the
event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

from carnet.storage import CHUNK_BYTES, PARTS_SUFFIX, FileMissing, Storage, check_key, part_name


class LocalStorage(Storage):
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):  # a symlink pointing out of the root
            raise ValueError("a storage key must stay under the storage root")
        return path

    def _parts(self, key: str) -> Path:
        path = self._path(key)
        return path.with_name(path.name + PARTS_SUFFIX)

    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        path = self._path(key)
        size = await _write(path, data)
        await asyncio.to_thread(shutil.rmtree, self._parts(key), True)
        return size

    async def put_part(self, key: str, number: int, data: bytes) -> None:
        await _write(self._parts(key) / part_name(number), data)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        files = await asyncio.to_thread(self._files, key)
        for path in files:
            with await asyncio.to_thread(path.open, "rb") as handle:
                while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                    yield chunk

    def _files(self, key: str) -> list[Path]:
        path, parts = self._path(key), self._parts(key)
        if path.is_file():
            return [path]
        if parts.is_dir():
            return sorted(p for p in parts.iterdir() if p.name.isdigit())
        raise FileMissing(key)

    async def size(self, key: str) -> int | None:
        try:
            files = await asyncio.to_thread(self._files, key)
        except FileMissing:
            return None
        return sum(path.stat().st_size for path in files)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, True)
        await asyncio.to_thread(shutil.rmtree, self._parts(key), True)


async def _write(path: Path, data: bytes | AsyncIterable[bytes]) -> int:
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    fd, temporary = await asyncio.to_thread(
        tempfile.mkstemp, dir=path.parent, prefix=".", suffix=".part"
    )
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            if isinstance(data, bytes | bytearray | memoryview):
                size = await asyncio.to_thread(handle.write, data)
            else:
                async for chunk in data:
                    size += await asyncio.to_thread(handle.write, chunk)
        await asyncio.to_thread(os.replace, temporary, path)
    except BaseException:
        await asyncio.to_thread(Path(temporary).unlink, True)
        raise
    return size
