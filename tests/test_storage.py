"""The storage contract, run against each backend: local disk, and an S3-compatible
server started by the tests on 127.0.0.1 (moto's)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from carnet.storage import FileMissing, check_key, new_key, storage_for
from carnet.storage.local import LocalStorage
from carnet.storage.s3 import S3Storage
from tests.support.s3 import KEYS, REGION


@pytest.fixture(params=["local", "s3"])
async def storage(request, tmp_path, s3_server):
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    bucket = f"carnet-{uuid.uuid4().hex[:12]}"
    await s3_server.create_bucket(bucket)
    return S3Storage(
        bucket,
        "some/prefix",
        endpoint_url=s3_server.endpoint_url,
        region=REGION,
        addressing_style="path",
        **KEYS,
    )


async def _read(storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.open(key)])


async def _chunks(*chunks: bytes):
    for chunk in chunks:
        yield chunk


async def test_a_file_put_whole_reads_back_and_is_deleted(storage):
    key = new_key(7, "contact-imports", "csv")
    assert await storage.size(key) is None and not await storage.exists(key)
    assert await storage.put(key, b"Email\r\nzoe@example.test\r\n") == 25
    assert await storage.exists(key) and await storage.size(key) == 25
    assert await _read(storage, key) == b"Email\r\nzoe@example.test\r\n"
    await storage.put(key, b"replaced")
    assert await storage.read(key) == b"replaced"
    await storage.delete(key)
    assert await storage.size(key) is None
    with pytest.raises(FileMissing):
        await _read(storage, key)
    await storage.delete(key)  # deleting nothing is no error


async def test_a_file_put_from_a_stream_larger_than_an_upload_part(storage):
    key = new_key(7, "documents", "pdf")
    block = bytes(range(256)) * 4096  # 1 MiB
    size = await storage.put(key, _chunks(*[block] * 9, b"end"))  # past one 8 MiB part
    assert size == 9 * len(block) + 3 == await storage.size(key)
    read = await _read(storage, key)
    assert read == block * 9 + b"end"


async def test_a_file_in_parts_reads_in_part_order_and_a_rewritten_part_replaces(storage):
    key = new_key(7, "contact-exports", "csv")
    await storage.put_part(key, 10, b"rows 10-19\r\n")
    await storage.put_part(key, 0, b"header\r\nrows 0-9\r\n")
    await storage.put_part(key, 10, b"rows 10-19 again\r\n")  # the round redone
    await storage.put_part(key, 20, b"rows 20-24\r\n")
    expected = b"header\r\nrows 0-9\r\nrows 10-19 again\r\nrows 20-24\r\n"
    assert await _read(storage, key) == expected
    assert await storage.size(key) == len(expected)
    assert await storage.signed_url(key, expires_in=60) is None  # parts are streamed
    await storage.delete(key)
    assert not await storage.exists(key)
    await storage.put_part(key, 0, b"a")
    await storage.put(key, b"whole")  # a whole file replaces the parts
    assert await _read(storage, key) == b"whole"


async def test_files_of_different_keys_are_separate(storage):
    first, second = new_key(1, "contact-exports", "csv"), new_key(1, "contact-exports", "csv")
    assert first != second and first.startswith("org/1/contact-exports/")
    await storage.put(first, b"one")
    await storage.put_part(second, 0, b"two")
    await storage.delete(second)
    assert await _read(storage, first) == b"one"


async def test_only_s3_signs_short_lived_urls(storage):
    key = new_key(3, "contact-exports", "csv")
    await storage.put(key, b"a,b\r\n")
    url = await storage.signed_url(key, expires_in=60, filename="contacts.csv")
    if isinstance(storage, LocalStorage):
        assert url is None
        return
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        assert response.content == b"a,b\r\n"
        assert "contacts.csv" in response.headers["content-disposition"]
    assert await storage.signed_url(new_key(3, "contact-exports"), expires_in=60) is None


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/etc/passwd",
        "org/1/../../x",
        "org//1",
        "org/./1",
        "org/1/",
        "",
        "org/1/x.parts/000000000000",
        "org/1/é",
        "org\\1",
        "a" * 201,
    ],
)
async def test_keys_that_could_leave_the_root_are_refused(storage, key):
    with pytest.raises(ValueError):
        check_key(key)
    with pytest.raises(ValueError):
        await storage.put(key, b"x")
    with pytest.raises(ValueError):
        await storage.size(key)


def test_new_keys_name_the_organization_and_refuse_odd_kinds():
    assert new_key(42, "contact-imports", "csv").startswith("org/42/contact-imports/")
    for kind in ("../x", "Contact", "a/b", ""):
        with pytest.raises(ValueError):
            new_key(1, kind)


async def test_a_symlink_out_of_the_local_root_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    root = tmp_path / "files"
    (root / "org").mkdir(parents=True)
    (root / "org" / "1").symlink_to(outside)
    with pytest.raises(ValueError):
        await LocalStorage(root).read("org/1/secret")


def test_settings_choose_the_backend(services, tmp_path):
    local = storage_for(services.settings(var_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "files").resolve()
    folder = storage_for(services.settings(storage_url=f"file://{tmp_path}/elsewhere"))
    assert folder.root == (tmp_path / "elsewhere").resolve()
    s3 = storage_for(
        services.settings(
            storage_url="s3://carnet-files/prod/files",
            storage_s3_endpoint_url="http://127.0.0.1:9",
            storage_s3_secret_access_key="s3cret",
        )
    )
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("carnet-files", "prod/files")
    assert "s3cret" not in repr(services.settings(storage_s3_secret_access_key="s3cret"))
    with pytest.raises(ValueError):
        storage_for(services.settings(storage_url="ftp://host/x"))


async def test_a_file_stored_for_a_block_that_fails_is_deleted_again(storage):
    kept, dropped = new_key(5, "contact-imports", "csv"), new_key(5, "contact-imports", "csv")
    async with storage.stored(kept, b"kept"):
        assert await storage.read(kept) == b"kept"
    with pytest.raises(RuntimeError):
        async with storage.stored(dropped, b"dropped"):
            assert await storage.exists(dropped)
            raise RuntimeError("the row could not be written")
    assert await storage.read(kept) == b"kept" and not await storage.exists(dropped)
