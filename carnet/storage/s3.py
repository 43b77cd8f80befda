"""Files in an S3-compatible bucket (AWS S3, MinIO, Ceph, Scaleway, OVH…), through
aiobotocore, under the prefix of `CARNET_STORAGE_URL=s3://bucket/prefix`.

A file written in parts is one object per part (`<key>.parts/<number>`): S3 cannot append,
and its multipart uploads need parts of 5 MB, more than one export round may write. A file
stored whole can be served by a presigned URL; one in parts is streamed by Carnet.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from carnet.settings import Settings
from carnet.storage import CHUNK_BYTES, PARTS_SUFFIX, FileMissing, Storage, check_key, part_name

# A file put from a stream goes up in parts of this size (S3's minimum is 5 MiB).
UPLOAD_PART_BYTES = 8 * 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage(Storage):
    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        addressing_style: str = "auto",
    ):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client_options = {
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "config": AioConfig(
                s3={"addressing_style": addressing_style}, signature_version="s3v4"
            ),
        }
        self._session = get_session()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        url = urlsplit(settings.storage_url)
        return cls(
            url.netloc,
            url.path,
            endpoint_url=settings.storage_s3_endpoint_url,
            region=settings.storage_s3_region,
            access_key_id=settings.storage_s3_access_key_id,
            secret_access_key=settings.storage_s3_secret_access_key.get_secret_value(),
            addressing_style=settings.storage_s3_addressing_style,
        )

    @asynccontextmanager
    async def _client(self):
        async with self._session.create_client("s3", **self._client_options) as client:
            yield client

    def _object(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _parts_prefix(self, key: str) -> str:
        return self._object(key) + PARTS_SUFFIX + "/"

    async def put(self, key: str, data: bytes | AsyncIterable[bytes]) -> int:
        name = self._object(key)
        async with self._client() as s3:
            if isinstance(data, bytes | bytearray | memoryview):
                await s3.put_object(Bucket=self.bucket, Key=name, Body=bytes(data))
                size = len(data)
            else:
                size = await _upload_stream(s3, self.bucket, name, data)
            await self._delete_parts(s3, key)
        return size

    async def put_part(self, key: str, number: int, data: bytes) -> None:
        name = self._parts_prefix(key) + part_name(number)
        async with self._client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=name, Body=bytes(data))

    async def open(self, key: str) -> AsyncIterator[bytes]:
        async with self._client() as s3:
            names = [name for name, _ in await self._objects(s3, key)]
            if not names:
                raise FileMissing(key)
            for name in names:
                response = await s3.get_object(Bucket=self.bucket, Key=name)
                async with response["Body"] as body:
                    while chunk := await body.read(CHUNK_BYTES):
                        yield chunk

    async def size(self, key: str) -> int | None:
        async with self._client() as s3:
            found = await self._objects(s3, key)
        return sum(size for _, size in found) if found else None

    async def delete(self, key: str) -> None:
        async with self._client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=self._object(key))
            await self._delete_parts(s3, key)

    async def signed_url(
        self, key: str, *, expires_in: int, filename: str | None = None
    ) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._object(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        async with self._client() as s3:
            if await self._whole(s3, key) is None:
                return None
            return await s3.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in
            )

    async def _whole(self, s3, key: str) -> int | None:
        try:
            head = await s3.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return head["ContentLength"]

    async def _objects(self, s3, key: str) -> list[tuple[str, int]]:
        """(object name, size) of the file: itself when stored whole, else its parts."""
        whole = await self._whole(s3, key)
        if whole is not None:
            return [(self._object(key), whole)]
        found = []
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=self._parts_prefix(key)):
            for item in page.get("Contents", []):
                if item["Key"].rsplit("/", 1)[-1].isdigit():
                    found.append((item["Key"], item["Size"]))
        return sorted(found)

    async def _delete_parts(self, s3, key: str) -> None:
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=self._parts_prefix(key)):
            names = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if names:
                await s3.delete_objects(Bucket=self.bucket, Delete={"Objects": names})


async def _upload_stream(s3, bucket: str, name: str, data: AsyncIterable[bytes]) -> int:
    """A stream goes up as one object: small ones in one put, large ones in a multipart
    upload, so memory holds one part at most."""
    buffer, size, upload_id, parts = bytearray(), 0, None, []
    try:
        async for chunk in data:
            buffer += chunk
            size += len(chunk)
            if len(buffer) >= UPLOAD_PART_BYTES:
                if upload_id is None:
                    started = await s3.create_multipart_upload(Bucket=bucket, Key=name)
                    upload_id = started["UploadId"]
                number = len(parts) + 1
                sent = await s3.upload_part(
                    Bucket=bucket,
                    Key=name,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=bytes(buffer),
                )
                parts.append({"ETag": sent["ETag"], "PartNumber": number})
                buffer.clear()
        if upload_id is None:
            await s3.put_object(Bucket=bucket, Key=name, Body=bytes(buffer))
            return size
        if buffer or not parts:
            number = len(parts) + 1
            sent = await s3.upload_part(
                Bucket=bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
            )
            parts.append({"ETag": sent["ETag"], "PartNumber": number})
        await s3.complete_multipart_upload(
            Bucket=bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        if upload_id is not None:
            await s3.abort_multipart_upload(Bucket=bucket, Key=name, UploadId=upload_id)
        raise
    return size
