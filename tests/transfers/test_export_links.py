"""Contact exports under abuse: the limit of exports under way holds against requests sent
at once, a download link works once, and its token reaches no log, only its digest."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest
import uvicorn

from carnet.auth import token_digest
from models.audit import AuditEvent
from models.tasks import Task
from models.transfers import ContactExport
from resolvers.transfers.exports import MAX_EXPORTS_IN_PROGRESS
from tests.contacts.contact_flows import make_contact
from tests.support.worker import run_worker
from tests.transfers.test_export import EXPORT, ask, export_input, link_for, path_of, rows_of


@pytest.fixture
async def built(api, world, settings) -> dict:
    """A finished export of two contacts."""
    for first in ("Ana", "Bo"):
        await make_contact(world.organization, first_name=first, last_name="Roy")
    export = await ask(api, world)
    await run_worker(settings)
    return export


async def test_exports_asked_for_at_once_never_pass_the_limit(api, world):
    admin = api.as_(world.admin)
    results = await asyncio.gather(
        *(admin.execute(EXPORT, export_input(world)) for _ in range(MAX_EXPORTS_IN_PROGRESS + 5))
    )
    codes = [result.payload_codes("contactsExport") for result in results]
    assert codes.count([]) == MAX_EXPORTS_IN_PROGRESS, codes
    assert codes.count(["RATE_LIMITED"]) == 5, codes
    assert await ContactExport.all().count() == MAX_EXPORTS_IN_PROGRESS
    assert await Task.filter(function="export_contacts").count() == MAX_EXPORTS_IN_PROGRESS
    assert await AuditEvent.filter(action="contact.export").count() == MAX_EXPORTS_IN_PROGRESS


async def test_a_link_downloads_once_then_answers_gone(api, client, world, built):
    url = await link_for(api, world.admin, built["id"])
    first = await client.get(path_of(url))
    assert first.status_code == 200
    assert [row[1] for row in rows_of(first.content)[1:]] == ["Ana", "Bo"]

    again = await client.get(path_of(url))
    assert again.status_code == 410
    assert again.headers["content-type"].startswith("text/plain")
    assert again.headers["cache-control"] == "no-store"
    assert again.text == "This download link has already been used. Ask for a new one in Carnet."
    french = await client.get(path_of(url), headers={"accept-language": "fr"})
    assert french.status_code == 410 and "déjà servi" in french.text
    assert await AuditEvent.filter(action="contact.export.download").count() == 1


async def test_after_an_interrupted_download_a_new_link_works(api, client, world, built):
    """A download cut short used its link up: whoever needs the file again asks for a new
    link, which works however the previous one ended."""
    url = await link_for(api, world.admin, built["id"])
    async with client.stream("GET", path_of(url)) as response:
        assert response.status_code == 200
        # The client goes away after the headers, before reading the file.
    assert (await client.get(path_of(url))).status_code == 410
    fresh = await link_for(api, world.owner, built["id"])
    assert fresh != url
    response = await client.get(path_of(fresh))
    assert response.status_code == 200
    assert len(rows_of(response.content)) == 3
    assert (await client.get(path_of(url))).status_code == 404  # replaced
    assert (await client.get(path_of(fresh))).status_code == 410


async def test_a_head_request_does_not_use_the_link_up(api, client, world, built):
    """Link checkers and mail scanners send HEAD: it is refused without touching the link."""
    url = await link_for(api, world.admin, built["id"])
    head = await client.head(path_of(url))
    assert head.status_code == 405 and head.headers["allow"] == "GET"
    assert (await client.get(path_of(url))).status_code == 200
    assert await AuditEvent.filter(action="contact.export.download").count() == 1


async def test_two_downloads_at_once_serve_the_file_once(api, client, world, built):
    url = await link_for(api, world.admin, built["id"])
    responses = await asyncio.gather(*(client.get(path_of(url)) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 410, 410, 410]
    assert await AuditEvent.filter(action="contact.export.download").count() == 1


async def test_the_access_log_shows_the_tokens_digest_never_the_token(
    app, api, world, built, caplog
):
    """Served by uvicorn, as `carnet serve` does: each request's access log line names the
    download path with the token's digest in place of the token, whatever the answer."""
    url = await link_for(api, world.admin, built["id"])
    token = path_of(url).rsplit("/", 1)[1]
    # Listening before uvicorn starts: the requests wait in the backlog until it serves.
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    # log_config=None leaves logging as it is, so uvicorn's records reach caplog's handler.
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None))
    caplog.set_level(logging.DEBUG)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            statuses = [(await http.get(f"/exports/{token}")).status_code for _ in range(2)]
            unknown = (await http.get("/exports/not-a-token")).status_code
    finally:
        server.should_exit = True
        await serving
        listening.close()
    assert statuses == [200, 410] and unknown == 404
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    shown = f"/exports/sha256:{token_digest(token)[:16]}"
    assert sum(shown in line for line in access) == 2, access
    assert any(f"/exports/sha256:{token_digest('not-a-token')[:16]}" in x for x in access)
    # Every server-side record (the test's own HTTP client logs the URL it was given).
    served = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert served and all(token not in caplog.handler.format(r) for r in served)
