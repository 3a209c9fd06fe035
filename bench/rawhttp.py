"""A minimal HTTP/1.1 keep-alive client for the benchmarks' measured requests.

The load generator shares the two cores with the stack it measures, so every millisecond of CPU it
spends per request is taken from the server. httpx costs about 3 ms of CPU per request here (request
and response models, header normalisation, its connection pool's bookkeeping); this client writes
prebuilt request bytes and reads the status line, the headers and a Content-Length body, about a tenth
of that. It is enough for the JSON API it talks to (no chunked bodies, no redirects, no TLS), and it
fails loudly on anything else. Preparation and look-ups keep using httpx.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


class ServerDisconnected(Exception):
    """The server closed the connection before a complete answer (httpx: RemoteProtocolError)."""


class ProtocolError(Exception):
    """An answer this client does not understand (e.g. a chunked body)."""


@dataclass(slots=True)
class Response:
    status_code: int
    headers: dict[bytes, bytes]
    body: bytes


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0


class RawClient:
    """Unbounded pool of keep-alive connections to one host (open loop: a slow server never makes a
    request queue in the client). Idle connections older than `keepalive_expiry` are dropped, before
    uvicorn's 5 s keep-alive timeout closes them from its side (a request racing that close would fail)."""

    def __init__(self, base_url: str, *, timeout: float, connect_timeout: float = 10.0, keepalive_expiry: float = 3.0):
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"only plain http://host:port is supported, not {base_url!r}")
        self.host = url.hostname
        self.port = url.port or 80
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.keepalive_expiry = keepalive_expiry
        self._idle: list[_Connection] = []
        self._host_header = f"{self.host}:{self.port}".encode()

    async def post(self, path: str, headers: dict[str, str], body: bytes = b"") -> Response:
        head = [b"POST ", path.encode(), b" HTTP/1.1\r\nHost: ", self._host_header, b"\r\nContent-Length: ",
                str(len(body)).encode(), b"\r\n"]  # fmt: skip
        for name, value in headers.items():
            head += [name.encode(), b": ", value.encode(), b"\r\n"]
        head.append(b"\r\n")
        return await self._send(b"".join(head) + body)

    async def _send(self, request: bytes) -> Response:
        conn = await self._acquire()
        try:
            async with asyncio.timeout(self.timeout):
                conn.writer.write(request)
                response = await self._read(conn.reader)
        except BaseException:
            conn.writer.close()  # its state is unknown: never reuse it
            raise
        if response.headers.get(b"connection", b"").lower() == b"close":
            conn.writer.close()
        else:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        return response

    async def _acquire(self) -> _Connection:
        now = time.monotonic()
        # the oldest idle connections are at the front: close the expired ones
        while self._idle and now - self._idle[0].idle_since >= self.keepalive_expiry:
            self._idle.pop(0).writer.close()
        while self._idle:
            conn = self._idle.pop()  # the most recently used one
            if not conn.reader.at_eof():
                return conn
            conn.writer.close()
        async with asyncio.timeout(self.connect_timeout):
            reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Response:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            raise ServerDisconnected("server disconnected without sending a response") from exc
        except asyncio.LimitOverrunError as exc:
            raise ProtocolError("response headers longer than the stream limit") from exc
        except ConnectionError as exc:
            raise ServerDisconnected(str(exc)) from exc
        lines = raw[:-4].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"transfer-encoding" in headers:
            raise ProtocolError(f"unsupported transfer-encoding {headers[b'transfer-encoding']!r}")
        try:
            status = int(parts[1])
            # no body by definition: 1xx, 204, 304; anything else must say how long it is
            length = 0 if status < 200 or status in (204, 304) else int(headers[b"content-length"])
        except (KeyError, ValueError) as exc:
            raise ProtocolError(f"no usable status or Content-Length in {lines[0][:80]!r}") from exc
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            raise ServerDisconnected("server disconnected in the middle of the body") from exc
        except ConnectionError as exc:
            raise ServerDisconnected(str(exc)) from exc
        return Response(status, headers, body)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().writer.close()
