"""The benchmark's minimal HTTP/1.1 client (`bench/rawhttp.py`) against a scripted local server: keep-alive
reuse, and answers it cannot read fail as errors of its own instead of wrong results."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from bench.rawhttp import ProtocolError, RawClient, ServerDisconnected


@asynccontextmanager
async def server(answer: Callable[[bytes], bytes | None]) -> AsyncIterator[tuple[str, list[int]]]:
    """Answers each request with `answer(request head)` (None: close the connection); yields the base URL
    and the number of requests seen per connection."""
    per_connection: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        per_connection.append(0)
        index = len(per_connection) - 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                per_connection[index] += 1
                reply = answer(head)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield f"http://127.0.0.1:{port}", per_connection


def ok(body: bytes = b'{"ok": true}') -> bytes:
    return b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def test_requests_reuse_one_keep_alive_connection_and_read_the_body() -> None:
    async with server(lambda head: ok()) as (url, per_connection):
        client = RawClient(url, timeout=5)
        for _ in range(3):
            response = await client.post("/v1/x/submit", {"Authorization": "Bearer t"})
            assert (response.status_code, response.body) == (201, b'{"ok": true}')
        await client.aclose()
    assert per_connection == [3]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (None, ServerDisconnected),  # closed without an answer
        (b"HTTP/1.1 201 Created\r\n\r\n{}", ProtocolError),  # a body without Content-Length
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", ProtocolError),
        (b"HTTP/1.1 201 Created\r\nContent-Length: 50\r\n\r\n{}", TimeoutError),  # body never completes
        (b"SMTP ready\r\n\r\n", ProtocolError),
    ],
)
async def test_an_answer_it_cannot_read_is_an_error_and_the_connection_is_dropped(reply, error) -> None:
    answers = iter([reply, ok()])
    async with server(lambda head: next(answers)) as (url, per_connection):
        client = RawClient(url, timeout=1)
        with pytest.raises(error):
            await client.post("/p", {})
        if reply is not None:
            # the server keeps that connection open: the client must not send the next request on it
            assert (await client.post("/p", {})).status_code == 201
            assert len(per_connection) == 2
        await client.aclose()
