"""JSON request bodies are capped (CARNET_MAX_BODY_BYTES, 1 MB): a 413 before the rest is
read, for anyone, signed in or not; multipart uploads keep their own, larger limit."""

from __future__ import annotations

import json

from tests.transfers.test_import import upload

ME = "{ __typename }"
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}


def padded(size: int) -> bytes:
    """A valid GraphQL request body of exactly `size` bytes (whitespace after the object)."""
    body = json.dumps({"query": ME}).encode()
    return body + b" " * (size - len(body))


def assert_too_large(response) -> None:
    assert response.status_code == 413, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert "1 MB" in error["message"]


async def test_a_body_up_to_the_limit_is_read(client, settings):
    response = await client.post(
        "/graphql", content=padded(settings.max_body_bytes), headers=JSON_HEADERS
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"__typename": "Query"}


async def test_a_larger_body_is_refused_from_its_content_length(client, settings):
    response = await client.post(
        "/graphql", content=padded(settings.max_body_bytes + 1), headers=JSON_HEADERS
    )
    assert_too_large(response)


async def test_a_streamed_body_is_refused_once_the_limit_is_passed_unread_beyond(
    client, settings
):
    """No Content-Length (chunked): the server stops reading at the limit, so 50 MB of
    whitespace costs it 1 MB, not 50."""
    chunk = b" " * (64 * 1024)
    sent = 0

    async def fifty_megabytes():
        nonlocal sent
        yield json.dumps({"query": ME}).encode()
        for _ in range(50 * 16):
            sent += 1
            yield chunk

    response = await client.post("/graphql", content=fifty_megabytes(), headers=JSON_HEADERS)
    assert_too_large(response)
    assert sent * len(chunk) <= settings.max_body_bytes + 2 * len(chunk)


async def test_a_lying_content_length_is_refused_too(client, settings):
    """A Content-Length under the limit with more bytes behind it: the count decides."""
    headers = {**JSON_HEADERS, "content-length": "10"}

    async def body():
        yield padded(settings.max_body_bytes + 10)

    response = await client.post("/graphql", content=body(), headers=headers)
    assert_too_large(response)


async def test_uploads_keep_their_own_limit(api, world, settings):
    assert settings.import_max_bytes > 2 * settings.max_body_bytes
    rows = "".join(f"Person {i},person{i}@example.test\n" for i in range(60_000))
    csv = "name,email\n" + rows
    assert len(csv) > settings.max_body_bytes
    result = await upload(api, world.owner, world, csv)
    assert result.status == 200, result.body
