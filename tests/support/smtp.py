"""A real SMTP server (aiosmtpd) on 127.0.0.1, served by the test's own event loop.

It records each message it accepts, i.e. whose DATA it answered with 250: a message
counts as received only then, as for a real relay. `hold_first_data()` makes the first
connection's DATA command wait for `release()`, so a test can catch a sender mid-send
(`release(hang_up=True)` then drops that connection, as a stalled relay finally does);
`greylist_first()` answers the first connection's RCPT with a temporary failure (451).
"""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class _Recorder:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.server.messages.append(message_from_bytes(content, policy=policy.default))
        return "250 Message accepted for delivery"

    async def handle_RCPT(
        self, smtp: _Smtp, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if smtp.number == 1 and self.server.greylisting:
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class _Smtp(SMTP):
    def __init__(self, server: SmtpServer, number: int):
        super().__init__(
            _Recorder(server),
            hostname="carnet-test-smtp",
            timeout=30,
            loop=asyncio.get_running_loop(),
        )
        self.server = server
        self.number = number

    async def smtp_DATA(self, arg: str) -> None:
        if self.number == 1 and self.server.holding:
            # The client has sent MAIL and RCPT and now waits for "354": it is mid-send.
            self.server.data_held.set()
            await self.server.released.wait()
            if self.server.hanging_up and self.transport is not None:
                self.transport.close()
                return
        await super().smtp_DATA(arg)


class SmtpServer:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.connections = 0
        self.holding = False
        self.greylisting = False
        self.hanging_up = False
        self.data_held = asyncio.Event()
        self.released = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._sessions: list[_Smtp] = []

    @property
    def host(self) -> str:
        return HOST

    def hold_first_data(self) -> None:
        self.holding = True

    def greylist_first(self) -> None:
        self.greylisting = True

    def release(self, *, hang_up: bool = False) -> None:
        self.hanging_up = hang_up
        self.released.set()

    def _connect(self) -> _Smtp:
        self.connections += 1
        session = _Smtp(self, self.connections)
        self._sessions.append(session)
        return session

    async def start(self) -> SmtpServer:
        loop = asyncio.get_running_loop()
        # Port 0: the kernel picks a free port, so concurrent runs never collide.
        self._server = await loop.create_server(self._connect, HOST, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        self.release(hang_up=True)
        if self._server is None:
            return
        self._server.close()
        for session in self._sessions:
            if session.transport is not None:
                session.transport.close()
        await asyncio.wait_for(self._server.wait_closed(), 5)
