"""A small HTTP/1.1 server on asyncio protocols and httptools, for the listeners and admin API.

Why not uvicorn and an ASGI app: the proxy's per-hop budget is about a
millisecond on a 2-core machine, and a protocol that hands whole requests to
one coroutine is the least work per request. It also sees a client disconnect
at once: the request's task is then cancelled, which resets the upstream
attempt and stops further retries, as Envoy does when the downstream goes away.

Requests on one connection are answered in order; bodies are read whole (up
to MAX_BODY_BYTES) before the handler runs.
"""

from __future__ import annotations

import asyncio
import http
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httptools

MAX_BODY_BYTES = 16 << 20
_MAX_QUEUED_REQUESTS = 16
_REASONS = {int(status): status.phrase for status in http.HTTPStatus}
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection"})
_NO_BODY_STATUSES = frozenset({204, 304})
_log = logging.getLogger(__name__)


@dataclass(slots=True)
class IncomingRequest:
    method: str
    target: str  # path and query, as sent
    fields: list[tuple[str, str]]  # header lines in order, names lower-cased
    body: bytes
    client_ip: str


@dataclass(slots=True)
class OutgoingResponse:
    status: int
    fields: Sequence[tuple[str, str]]  # framing headers are the server's, others are sent as given
    body: bytes
    head_content_length: str | None = None  # for HEAD: the length a GET would have had


Handler = Callable[[IncomingRequest], Awaitable[OutgoingResponse]]


def encode_response(response: OutgoingResponse, method: str, close: bool) -> bytes:
    status = response.status
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"]
    lines += [f"{name}: {value}\r\n" for name, value in response.fields if name not in _FRAMING]
    if status not in _NO_BODY_STATUSES and status >= 200:
        length = response.head_content_length if method == "HEAD" else None
        lines.append(f"content-length: {length or len(response.body)}\r\n")
    if close:
        lines.append("connection: close\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1")
    if method == "HEAD" or status in _NO_BODY_STATUSES:
        return head
    return head + response.body


class _HttpConnection(asyncio.Protocol):
    def __init__(self, handler: Handler, connections: set[_HttpConnection]):
        self._handler = handler
        self._connections = connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._client_ip = ""
        self._queue: deque[tuple[IncomingRequest, bool]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._reset_message()

    def _reset_message(self) -> None:
        self._url = bytearray()
        self._fields: list[tuple[str, str]] = []
        self._body = bytearray()
        self._too_large = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client_ip = peer[0] if peer else ""
        self._connections.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, b"protocol upgrades are not supported")
        except httptools.HttpParserError:
            self._refuse(400, b"malformed HTTP/1.1 request")

    def eof_received(self) -> bool:
        # The client will send nothing more; Envoy treats that as the client leaving.
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._transport = None
        if self._task is not None and not self._task.done():
            self._task.cancel()

    # httptools callbacks

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        for name, value in self._fields:
            if name == "expect" and value.lower() == "100-continue" and self._transport:
                # Envoy answers 100-continue itself and does not pass the Expect on.
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if len(self._body) + len(body) > MAX_BODY_BYTES:
            self._too_large = True
            return
        self._body += body

    def on_message_complete(self) -> None:
        if self._too_large:
            self._refuse(413, b"request body larger than the proxy buffers")
            return
        request = IncomingRequest(
            method=self._parser.get_method().decode("ascii"),
            target=self._url.decode("latin-1"),
            fields=[(n, v) for n, v in self._fields if n != "expect"],
            body=bytes(self._body),
            client_ip=self._client_ip,
        )
        self._queue.append((request, self._parser.should_keep_alive()))
        self._reset_message()
        if len(self._queue) >= _MAX_QUEUED_REQUESTS and self._transport:
            self._transport.pause_reading()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._answer_queued())

    # answering

    async def _answer_queued(self) -> None:
        while self._queue and self._transport is not None:
            request, keep_alive = self._queue.popleft()
            try:
                response = await self._handler(request)
            except Exception:
                _log.exception("answering %s %s failed", request.method, request.target)
                response = OutgoingResponse(500, (("content-type", "text/plain"),), b"proxy error")
                keep_alive = False
            transport = self._transport
            if transport is None:
                return
            transport.write(encode_response(response, request.method, close=not keep_alive))
            if not keep_alive:
                transport.close()
                return
            if len(self._queue) < _MAX_QUEUED_REQUESTS:
                transport.resume_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _refuse(self, status: int, message: bytes) -> None:
        if self._transport is None:
            return
        response = OutgoingResponse(status, (("content-type", "text/plain"),), message)
        self._transport.write(encode_response(response, "GET", close=True))
        self._transport.close()


class HttpServer:
    """Serves ``handler`` on host:port until ``close()``."""

    def __init__(self, handler: Handler):
        self._handler = handler
        self._connections: set[_HttpConnection] = set()
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _HttpConnection(self._handler, self._connections), host, port, backlog=1024
        )

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for connection in list(self._connections):
            connection.close()
        await self._server.wait_closed()
