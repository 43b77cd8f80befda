"""The offline GraphiQL page (carnet/web/graphiql.py) as the real app serves it, and its assets.

The page is what a browser gets from GET /graphql; every file it references must come
from the app's own static mount, so GraphiQL works with no network access.
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest

from carnet.web.graphiql import ASSET_VERSIONS, STATIC_DIR, graphiql_html

STATIC_PREFIX = "/static/graphiql"
REMOTE_URL = re.compile(r"(?:https?:)?//[a-z0-9.-]+", re.IGNORECASE)
CSS_REMOTE_URL = re.compile(r"""url\(\s*['"]?\s*(?:https?:)?//|@import""", re.IGNORECASE)
VERSIONS_TXT = STATIC_DIR / "VERSIONS.txt"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _AssetCollector(HTMLParser):
    """Collects ``<script src>`` and ``<link href>`` values from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        elif tag == "link" and values.get("href"):
            self.links.append((values.get("rel") or "", values["href"]))


def collect_page_assets(page: str) -> _AssetCollector:
    """Parse the page and return the script and link URLs it references."""
    collector = _AssetCollector()
    collector.feed(page)
    collector.close()
    return collector


def asset_filename(url: str) -> str:
    """File name of a static asset URL (prefix and query string removed)."""
    assert url.startswith(STATIC_PREFIX + "/"), url
    return url.removeprefix(STATIC_PREFIX + "/").split("?", 1)[0]


@pytest.fixture
async def page(client) -> str:
    response = await client.get("/graphql", headers={"accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "accept" in response.headers["vary"].lower()
    return response.text


def test_page_is_carnet_graphiql(page):
    assert "<title>Carnet GraphiQL</title>" in page
    assert "shouldPersistHeaders: true" in page
    assert "isHeadersEditorEnabled: true" in page
    assert "tokenCreate" in page


def test_page_has_no_external_urls(page):
    assert "http://" not in page.lower()
    assert "https://" not in page.lower()
    assert not REMOTE_URL.search(page), REMOTE_URL.search(page)


async def test_every_script_resolves_to_local_javascript(client, page):
    scripts = collect_page_assets(page).scripts
    assert [asset_filename(src) for src in scripts] == [
        "react.production.min.js",
        "react-dom.production.min.js",
        "graphiql.min.js",
        "graphiql-plugin-explorer.min.js",
    ]
    for src in scripts:
        response = await client.get(src)
        assert response.status_code == 200, src
        assert "javascript" in response.headers["content-type"], src
        assert len(response.content) > 1000, src


async def test_every_link_resolves_to_local_stylesheet(client, page):
    links = collect_page_assets(page).links
    # The favicon is an inline empty data: URL so browsers do not ask for one.
    assert ("icon", "data:,") in links
    stylesheets = [(rel, href) for rel, href in links if href != "data:,"]
    assert stylesheets
    for rel, href in stylesheets:
        assert rel == "stylesheet", href
        response = await client.get(href)
        assert response.status_code == 200, href
        assert response.headers["content-type"].startswith("text/css"), href


async def test_css_does_not_load_remote_resources(client, page):
    for _rel, href in collect_page_assets(page).links:
        if href.startswith("data:"):
            continue
        css = (await client.get(href)).text
        assert not CSS_REMOTE_URL.search(css), (href, CSS_REMOTE_URL.search(css))


def test_every_vendored_asset_is_used_and_licensed(page):
    assets = collect_page_assets(page)
    referenced = {asset_filename(src) for src in assets.scripts}
    referenced |= {asset_filename(href) for _rel, href in assets.links if href != "data:,"}
    vendored = {p.name for p in STATIC_DIR.iterdir() if p.suffix in {".js", ".css"}}
    assert vendored == referenced
    for package in (
        "react",
        "react-dom",
        "graphiql",
        "graphiql-plugin-explorer",
        "graphiql-explorer",
    ):
        assert (STATIC_DIR / f"{package}.LICENSE").is_file(), package


def test_versions_file_matches_code_and_files():
    versions_txt = VERSIONS_TXT.read_text()
    for package, version in ASSET_VERSIONS.items():
        assert f"{package}@{version}" in versions_txt
    checksums = re.findall(r"^  ([0-9a-f]{64})  (\S+)$", versions_txt, re.MULTILINE)
    assert checksums
    for digest, name in checksums:
        assert hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest() == digest, name


def test_cache_busters_carry_package_versions(page):
    assert f"graphiql.min.js?v={ASSET_VERSIONS['graphiql']}" in page
    assert f"react.production.min.js?v={ASSET_VERSIONS['react']}" in page


def test_endpoint_and_static_prefix_are_configurable():
    custom = graphiql_html(endpoint="/api/graphql", static_prefix="/assets/giql/")
    assets = collect_page_assets(custom)
    assert all(src.startswith("/assets/giql/") and "//" not in src for src in assets.scripts)
    assert '"endpoint": "/api/graphql"' in custom


def test_endpoint_cannot_break_out_of_the_inline_script():
    hostile = graphiql_html(endpoint="/graphql</script><script>alert(1)//")
    assert hostile.count("</script>") == graphiql_html().count("</script>")
    assert "alert(1)" in hostile  # kept, but only inside an escaped JS string
