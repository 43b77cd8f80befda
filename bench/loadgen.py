"""A closed-loop HTTP load generator: C keep-alive connections, each sending its next request
as soon as the previous answer arrives; latency is measured per request on the client.

Two clients speak to the server. `raw` writes one pre-encoded HTTP/1.1 request and reads
the answer by its Content-Length, on asyncio streams: under 0.1 ms of the generator's CPU
per request, so on a small machine the server, not the generator, sets the pace. `httpx`
(httpx.AsyncClient) is what the tests and most Python callers use, but it costs the
generator 1.3 to 2 ms of CPU per request, more than a bare Strawberry app needs to answer
(about 1 ms): with it, the bare app's figure measures httpx, and the ratio is flattered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from harness import LOOPBACK, Server

CLIENTS = ("raw", "httpx")

Send = Callable[[], Awaitable[None]]


class LoadError(RuntimeError):
    pass


@dataclass
class Run:
    requests: int
    seconds: float
    latencies: list[float]
    server_cpu: float | None  # seconds of CPU the server process used during the run
    client_cpu: float  # seconds of CPU this process (the generator) used during the run


def _check(server: Server, status: int, body: bytes) -> None:
    if status != 200 or b'"errors"' in body:
        raise LoadError(f"{server.name}: HTTP {status} {body[:300]!r}")


@asynccontextmanager
async def _httpx_senders(server: Server, path: str, body: bytes, headers: Mapping[str, str],
                         concurrency: int) -> AsyncIterator[list[Send]]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as client:

        async def send() -> None:
            response = await client.post(path, content=body, headers=headers)
            _check(server, response.status_code, response.content)

        yield [send] * concurrency  # the pool holds `concurrency` connections


@asynccontextmanager
async def _raw_senders(server: Server, path: str, body: bytes, headers: Mapping[str, str],
                       concurrency: int) -> AsyncIterator[list[Send]]:
    port = server.url.rsplit(":", 1)[1]
    head = [f"POST {path} HTTP/1.1", f"host: {LOOPBACK}:{port}", "accept: */*",
            "user-agent: carnet-bench", f"content-length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items())]
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    streams = []
    try:
        for _ in range(concurrency):
            streams.append(await asyncio.open_connection(LOOPBACK, int(port)))
        yield [_raw_send(server, reader, writer, request) for reader, writer in streams]
    finally:
        for _, writer in streams:
            writer.close()


def _raw_send(server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
              request: bytes) -> Send:
    async def send() -> None:
        writer.write(request)
        status_line, *header_lines = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
        length = None
        for line in header_lines:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise LoadError(f"{server.name}: an answer without Content-Length: {status_line!r}")
        _check(server, int(status_line.split(b" ", 2)[1]), await reader.readexactly(length))

    return send


async def run_load(server: Server, path: str, body: bytes, headers: Mapping[str, str],
                   requests: int, concurrency: int, client: str = "raw") -> Run:
    """Sends `requests` POSTs over `concurrency` connections, opened before the clock starts."""
    headers = {"content-type": "application/json", **headers}
    senders = _raw_senders if client == "raw" else _httpx_senders
    remaining = requests
    latencies: list[float] = []

    async def connection(send: Send) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            await send()
            latencies.append(time.perf_counter() - started)

    try:
        async with senders(server, path, body, headers, concurrency) as sends:
            async with asyncio.TaskGroup() as opening:  # one untimed request per connection
                for send in sends:
                    opening.create_task(send())
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            started = time.perf_counter()
            async with asyncio.TaskGroup() as load:
                for send in sends:
                    load.create_task(connection(send))
            seconds = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            server_end = server.cpu_seconds()
    except* LoadError as failed:
        raise failed.exceptions[0] from None
    except* (OSError, EOFError, httpx.HTTPError) as failed:
        raise LoadError(f"{server.name}: {failed.exceptions[0]!r}; its log ends with:\n"
                        f"{server.log_tail()}") from None
    used = None if server_cpu is None or server_end is None else server_end - server_cpu
    return Run(requests, seconds, latencies, used, client_cpu)


@dataclass
class Summary:
    requests: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    server_cpu_ms_per_request: float | None
    client_cpu_share: float  # of one core, while the load ran
    round_requests_per_second: list[float]

    @classmethod
    def of(cls, runs: Sequence[Run]) -> Summary:
        requests = sum(r.requests for r in runs)
        seconds = sum(r.seconds for r in runs)
        latencies = sorted(x for r in runs for x in r.latencies)
        server = [r.server_cpu for r in runs]
        server_ms = None if None in server else 1000 * sum(server) / requests
        return cls(
            requests=requests,
            requests_per_second=requests / seconds,
            p50_ms=1000 * _percentile(latencies, 50),
            p95_ms=1000 * _percentile(latencies, 95),
            server_cpu_ms_per_request=server_ms,
            client_cpu_share=sum(r.client_cpu for r in runs) / seconds,
            round_requests_per_second=[r.requests / r.seconds for r in runs],
        )


def _percentile(ordered: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]
