"""Download links to account documents: minted through the API for whom the document is
visible only, fetched over HTTP once, by the contact export's link rules."""

from __future__ import annotations

from models.audit import AuditEvent
from tests.accounts.test_items import (
    GROUP_CREATE,
    JPEG,
    MEMBERS_SET,
    PDF,
    _household,
    _household_other,
    upload,
)

LINK = """mutation($id: ID!) { accountDocumentDownloadLink(input: {documentId: $id}) {
  downloadUrl expiresAt errors { code field message } } }"""


def path_of(url: str) -> str:
    return url[url.index("/documents/") :]


async def link(api, who, document_id):
    return await api.as_(who).execute(LINK, {"id": document_id})


async def _documents(api, world, password_hash):
    account, users, links = await _household(api, world, password_hash)
    group = (
        await api.as_(world.agent).execute(GROUP_CREATE, {"account": account["id"], "name": "Tax"})
    ).ok("accountAccessGroupCreate")["accessGroup"]
    await api.as_(world.agent).execute(
        MEMBERS_SET, {"id": group["id"], "links": [links["assigned"]]}
    )
    shared = await upload(
        api, world.agent, account["id"], "reçu 2025.pdf", PDF, groups=[group["id"]]
    )
    private = await upload(api, world.agent, account["id"], "photo.jpg", JPEG)
    return (
        users,
        shared.ok("accountDocumentUpload")["document"]["id"],
        private.ok("accountDocumentUpload")["document"]["id"],
    )


async def test_a_link_serves_the_document_once_as_an_attachment(
    api, client, world, password_hash
):
    users, shared, private = await _documents(api, world, password_hash)
    minted = (await link(api, users["assigned"], shared)).ok("accountDocumentDownloadLink")
    assert minted["expiresAt"]
    response = await client.get(path_of(minted["downloadUrl"]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"re_u 2025.pdf\"; filename*=UTF-8''re%C3%A7u%202025.pdf"
    )
    assert response.headers["cache-control"] == "no-store"
    # Used up: gone.
    again = await client.get(path_of(minted["downloadUrl"]), headers={"accept-language": "fr"})
    assert again.status_code == 410
    assert "déjà" in again.text
    # Staff and the primary get links too; the JPEG comes back as a JPEG.
    for who in (world.viewer, users["primary"], users["full"]):
        url = (await link(api, who, private)).ok("accountDocumentDownloadLink")["downloadUrl"]
        fetched = await client.get(path_of(url))
        assert (fetched.status_code, fetched.content) == (200, JPEG)
        assert fetched.headers["content-type"] == "image/jpeg"
        assert fetched.headers["content-disposition"] == 'attachment; filename="photo.jpg"'
    assert await AuditEvent.filter(action="account_document.link").count() == 4
    assert await AuditEvent.filter(action="account_document.download").count() == 4


async def test_expired_and_tampered_links_are_refused(
    api, client, world, password_hash, settings, monkeypatch
):
    users, shared, _ = await _documents(api, world, password_hash)
    url = (await link(api, users["primary"], shared)).ok("accountDocumentDownloadLink")[
        "downloadUrl"
    ]
    token = path_of(url).rsplit("/", 1)[1]
    pk, stamp, nonce, signature = token.split(".")
    # Another document, a later expiry, a changed signature: none was signed here.
    for forged in (
        f"{int(pk) + 1}.{stamp}.{nonce}.{signature}",
        f"{pk}.{int(stamp) + 3600}.{nonce}.{signature}",
        f"{pk}.{stamp}.{nonce}.{signature[:-1]}{'B' if signature.endswith('A') else 'A'}",
        f"{pk}.{stamp}.{signature}",
        "not-a-token",
    ):
        refused = await client.get(f"/documents/{forged}")
        assert refused.status_code == 404, forged
    monkeypatch.setattr(settings, "export_link_ttl_seconds", -1)
    stale = (await link(api, users["primary"], shared)).ok("accountDocumentDownloadLink")
    expired = await client.get(path_of(stale["downloadUrl"]), headers={"accept-language": "fr"})
    assert expired.status_code == 410
    assert "expiré" in expired.text
    # The genuine link still works, once.
    assert (await client.get(path_of(url))).content == PDF
    assert await AuditEvent.filter(action="account_document.download").count() == 1


async def test_only_whom_the_document_is_visible_to_gets_a_link(
    api, world, password_hash
):
    users, shared, private = await _documents(api, world, password_hash)
    stranger, _, _ = await _household_other(api, world, password_hash)
    # An ASSIGNED contact: not a document assigned to no one; another ASSIGNED contact
    # not in the group; another account's primary; another organization's staff.
    for who, document in (
        (users["assigned"], private),
        (users["other"], shared),
        (stranger, shared),
        (world.outsider, shared),
    ):
        refused = await link(api, who, document)
        assert "NOT_FOUND" in (
            refused.error_codes or refused.payload_codes("accountDocumentDownloadLink")
        ), who
    anonymous = await api.execute(LINK, {"id": shared})
    assert anonymous.error_codes
    assert await AuditEvent.filter(action="account_document.link").count() == 0


async def test_the_access_log_shows_the_links_digest_never_the_link(
    app, api, world, password_hash, caplog
):
    """Served by uvicorn: the access log names /documents/ with the token's digest."""
    import asyncio
    import logging
    import socket

    import httpx
    import uvicorn

    from carnet.auth import token_digest

    users, shared, _ = await _documents(api, world, password_hash)
    url = (await link(api, users["primary"], shared)).ok("accountDocumentDownloadLink")[
        "downloadUrl"
    ]
    token = path_of(url).rsplit("/", 1)[1]
    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None))
    caplog.set_level(logging.DEBUG)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            statuses = [(await http.get(f"/documents/{token}")).status_code for _ in range(2)]
    finally:
        server.should_exit = True
        await serving
        listening.close()
    assert statuses == [200, 410]
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    shown = f"/documents/sha256:{token_digest(token)[:16]}"
    assert sum(shown in line for line in access) == 2, access
    served = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert served and all(token not in caplog.handler.format(r) for r in served)
