"""A GraphQL client over HTTP (httpx on the ASGI app), as SPAs and mobile apps call it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Result:
    status: int
    body: dict[str, Any]
    headers: httpx.Headers

    @property
    def data(self) -> dict[str, Any] | None:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.body.get("errors") or []

    @property
    def error_codes(self) -> list[str]:
        return [(e.get("extensions") or {}).get("code") for e in self.errors]

    def payload(self, field: str) -> dict[str, Any]:
        assert not self.errors, self.errors
        return self.data[field]

    def payload_codes(self, field: str) -> list[str]:
        return [e["code"] for e in self.payload(field)["errors"]]

    def ok(self, field: str) -> dict[str, Any]:
        """The payload of a mutation that must have succeeded."""
        payload = self.payload(field)
        assert payload["errors"] == [], payload["errors"]
        return payload


class Api:
    def __init__(
        self,
        client: httpx.AsyncClient,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        self.client = client
        self.token = token
        self.headers = headers or {}

    def as_(self, who: Any) -> Api:
        """A client signed in as a world member (anything with `.token`), or anonymous (None)."""
        return Api(self.client, getattr(who, "token", None), self.headers)

    def with_headers(self, **headers: str) -> Api:
        return Api(self.client, self.token, {**self.headers, **headers})

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> Result:
        sent = {"accept": "application/graphql-response+json", **self.headers, **headers}
        if self.token:
            sent["authorization"] = f"Bearer {self.token}"
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        return Result(response.status_code, response.json(), response.headers)

    async def upload(
        self,
        query: str,
        variables: dict[str, Any],
        files: dict[str, tuple[str, bytes]],
        **headers: str,
    ) -> Result:
        """A GraphQL multipart request: `files` maps a variable path ("input.file") to
        (filename, content); the variable itself is sent as null, as the spec says."""
        sent = {"accept": "application/graphql-response+json", **self.headers, **headers}
        if self.token:
            sent["authorization"] = f"Bearer {self.token}"
        file_map = {str(i): [f"variables.{path}"] for i, path in enumerate(files)}
        parts = {
            str(i): (name, content, "text/csv") for i, (name, content) in enumerate(files.values())
        }
        response = await self.client.post(
            "/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": variables}),
                "map": json.dumps(file_map),
            },
            files=parts,
            headers=sent,
        )
        return Result(response.status_code, response.json(), response.headers)
