"""A local fake of a Twilio-compatible SMS API: records each POSTed form and answers with
the statuses queued in `replies` for its `To` number (then 201 with a sid)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl


class SmsEndpoint:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []  # every request, accepted or not
        self.accepted: list[dict[str, str]] = []
        self.replies: dict[str, list[int]] = {}
        self.server: asyncio.AbstractServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/2010-04-01"

    async def start(self) -> SmsEndpoint:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            body = await reader.readexactly(length) if length else b""
            form = dict(parse_qsl(body.decode()))
            self.received.append(form)
            queued = self.replies.get(form.get("To", "")) or []
            status = queued.pop(0) if queued else 201
            if status < 300:
                self.accepted.append(form)
            payload = json.dumps({"sid": f"SM{len(self.received)}"}).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        finally:
            writer.close()
