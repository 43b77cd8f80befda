"""The GraphiQL page served at GET /graphql, built only from vendored assets.

React, GraphiQL and the explorer plugin live in ``carnet/static/graphiql``
(see ``VERSIONS.txt`` there) and are loaded from the app's own static mount,
so the page works with no network access: no CDN, fonts or favicon requests.
Queries are POSTed to the same-origin endpoint; subscriptions use
graphql-transport-ws on ``ws(s)://<same host><endpoint>`` through the
graphql-ws client bundled in GraphiQL, whose connection_init payload is the
JSON from the Headers tab (e.g. ``{"Authorization": "Bearer <token>"}``).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

__all__ = ["ASSET_VERSIONS", "DEFAULT_QUERY", "STATIC_DIR", "graphiql_html"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "graphiql"
"""Directory to mount with ``StaticFiles`` at the page's ``static_prefix``."""

ASSET_VERSIONS = {
    "react": "18.3.1",
    "react-dom": "18.3.1",
    "graphiql": "3.9.0",
    "@graphiql/plugin-explorer": "3.2.6",
}
"""npm package versions of the vendored files, also used as cache-busters."""

_STYLESHEETS = (
    ("graphiql.min.css", "graphiql"),
    ("graphiql-plugin-explorer.css", "@graphiql/plugin-explorer"),
)
# Load order matters: each UMD bundle reads the globals set by the previous.
_SCRIPTS = (
    ("react.production.min.js", "react"),
    ("react-dom.production.min.js", "react-dom"),
    ("graphiql.min.js", "graphiql"),
    ("graphiql-plugin-explorer.min.js", "@graphiql/plugin-explorer"),
)

DEFAULT_QUERY = """\
# Welcome to the Carnet GraphQL API.
#
# To sign in, run this mutation with your own credentials:
#
#   mutation {
#     tokenCreate(input: {email: "you@example.com", password: "..."}) {
#       accessToken
#       errors { code message }
#     }
#   }
#
# then put the token in the Headers tab below:
#
#   {"Authorization": "Bearer <accessToken>"}
#
# Headers are remembered by this browser and are also sent as the
# connection_init payload when a subscription opens its websocket.
"""

_BOOT_SCRIPT = """\
(function () {
  "use strict";
  var config = __CONFIG__;
  var url = new URL(config.endpoint, window.location.href);
  var subscriptionUrl = new URL(url.href);
  subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  // With subscriptionUrl, GraphiQL's bundled graphql-ws client sends the
  // Headers-tab JSON as the graphql-transport-ws connection_init payload.
  var fetcher = GraphiQL.createFetcher({
    url: url.href,
    subscriptionUrl: subscriptionUrl.href,
  });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      defaultHeaders: config.defaultHeaders,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      defaultEditorToolsVisibility: "headers",
      plugins: [explorer],
      visiblePlugin: explorer,
    })
  );
})();
"""

_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Carnet GraphiQL</title>
<link rel="icon" href="data:,">
__STYLESHEETS__
<style>
html, body, #graphiql { height: 100%; margin: 0; overflow: hidden; }
.carnet-loading { padding: 2rem; font-family: sans-serif; color: #555; }
</style>
</head>
<body>
<div id="graphiql"><p class="carnet-loading">Loading GraphiQL…</p></div>
<noscript>GraphiQL needs JavaScript.</noscript>
__SCRIPTS__
<script>
__BOOT__</script>
</body>
</html>
"""


def _asset_url(static_prefix: str, filename: str, package: str) -> str:
    """URL of a vendored file, with the package version as cache-buster."""
    prefix = static_prefix.rstrip("/")
    return html.escape(f"{prefix}/{filename}?v={ASSET_VERSIONS[package]}")


def _js_literal(value: object) -> str:
    """JSON for embedding in an inline <script> (cannot close the tag)."""
    text = json.dumps(value, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html(*, endpoint: str = "/graphql", static_prefix: str = "/static/graphiql") -> str:
    """Return the GraphiQL page for ``endpoint``, loading assets from ``static_prefix``.

    ``endpoint`` is resolved against the page's own origin, both for HTTP
    and for the websocket used by subscriptions.
    """
    stylesheets = "\n".join(
        f'<link rel="stylesheet" href="{_asset_url(static_prefix, name, pkg)}">'
        for name, pkg in _STYLESHEETS
    )
    scripts = "\n".join(
        f'<script src="{_asset_url(static_prefix, name, pkg)}"></script>' for name, pkg in _SCRIPTS
    )
    config = {"endpoint": endpoint, "defaultQuery": DEFAULT_QUERY, "defaultHeaders": "{}"}
    boot = _BOOT_SCRIPT.replace("__CONFIG__", _js_literal(config))
    return (
        _PAGE.replace("__STYLESHEETS__", stylesheets)
        .replace("__SCRIPTS__", scripts)
        .replace("__BOOT__", boot)
    )
