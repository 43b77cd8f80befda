"""Request bodies read within limits, so no client fills the disk or the memory."""

from __future__ import annotations

from cross_web.request import FormData, StarletteRequestAdapter
from starlette.requests import Request


class BodyTooLarge(Exception):
    pass


class LimitedRequestAdapter(StarletteRequestAdapter):
    """Parses multipart bodies from a stream that stops at ``max_upload_bytes``, so a
    chunked upload without ``Content-Length`` cannot fill the disk; reads other bodies
    (JSON) up to ``max_body_bytes``, so none fills memory."""

    max_upload_bytes: int | None = None
    max_body_bytes: int | None = None

    async def get_body(self) -> bytes:
        limit = self.max_body_bytes
        if limit is None:
            return await super().get_body()
        length = self.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > limit):
            raise BodyTooLarge()
        body = bytearray()
        async for chunk in self._request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge()
        return bytes(body)

    async def get_form_data(self) -> FormData:
        request = self._request
        limit = self.max_upload_bytes
        if limit is None:
            return await super().get_form_data()
        received = 0
        upstream = request.receive

        async def receive():
            nonlocal received
            message = await upstream()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge()
            return message

        form = await Request(request.scope, receive).form()
        return FormData(files=form, form=form)


