"""A lean asyncio HTTP/1.1 client: keep-alive connections over asyncio streams, stdlib only.

Why not httpx: on a 2-core machine every microsecond of client CPU is taken from
the service being measured or proxied. httpx spends about 1.4 ms of CPU per
request; this client spends tens of microseconds. It speaks what a load
generator and the mesh proxy need from one host:port: plain HTTP/1.1,
keep-alive, Content-Length or chunked bodies. The load generator
(`loadtests/httpload.py`) and the mesh proxy's upstream pools (`mesh/`) use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_CONNECT_TIMEOUT_S = 10.0

# Large enough for any sane response head; a bigger one is treated as malformed.
_STREAM_LIMIT_BYTES = 1 << 20

# The client writes these itself; letting a caller set them too would produce
# duplicate or contradictory framing.
_HEADERS_OWNED_BY_CLIENT = frozenset({"host", "content-length", "connection", "transfer-encoding"})

_STATUSES_WITHOUT_BODY = frozenset({204, 304})

_SIGNS_OF_A_CLOSED_SOCKET = (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased; repeated headers joined with ", "
    body: bytes
    # Every header line in arrival order, names lower-cased, repeats kept apart: what a
    # proxy forwards (joining Set-Cookie lines, as ``headers`` does, would corrupt them).
    fields: tuple[tuple[str, str], ...] = ()


class HttpClientError(Exception):
    """A transport-level failure; ``kind`` is the key it is counted under in LoadResult.errors."""

    kind = "error"


class RequestTimeout(HttpClientError, TimeoutError):
    kind = "timeout"


class ConnectTimeout(HttpClientError):
    kind = "connect_timeout"


class ConnectionClosed(HttpClientError):
    kind = "connection_closed"


class MalformedResponse(HttpClientError):
    kind = "malformed_response"


# What the load runners count as a failed request rather than let propagate.
TRANSPORT_ERRORS = (HttpClientError, OSError)


def error_kind(error: BaseException) -> str:
    """The short name a transport error is counted under."""
    if isinstance(error, HttpClientError):
        return error.kind
    if isinstance(error, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(error, ConnectionResetError | BrokenPipeError):
        return "connection_reset"
    if isinstance(error, TimeoutError):
        return "timeout"
    return "os_error"


class Connection:
    """One keep-alive HTTP/1.1 connection to host:port.

    ``Connection.open`` connects eagerly; ``Connection(host, port)`` connects on the
    first ``send``. Whenever the server has closed the connection (idle timeout,
    ``Connection: close``), the next ``send`` reconnects by itself. After
    ``close()`` the object is finished and ``send`` raises.
    """

    def __init__(
        self, host: str, port: int, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    ) -> None:
        self._host = host
        self._port = port
        self._connect_timeout = connect_timeout
        self._host_header = host if port == 80 else f"{host}:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._responses_on_socket = 0
        self._closed = False

    @classmethod
    async def open(
        cls, host: str, port: int, timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    ) -> Connection:
        connection = cls(host, port, connect_timeout=timeout)
        await connection._connect()
        return connection

    async def send(self, request: Request, timeout: float | None = 30.0) -> Response:
        """Send one request and read its whole response, all within ``timeout`` seconds.

        Raises RequestTimeout, ConnectTimeout, ConnectionClosed, MalformedResponse or
        an OSError; after any of them the socket is dropped and the next send
        reconnects. ``timeout=None`` waits for as long as the server takes.
        """
        if self._closed:
            raise ConnectionClosed("this Connection was closed")
        return await self.send_encoded(
            _encode_request(request, self._host_header), request.method, timeout
        )

    async def send_encoded(
        self, payload: bytes, method: str, timeout: float | None = 30.0
    ) -> Response:
        """Like ``send``, for a request the caller has already encoded (head and body).

        A proxy uses this to forward a request with its own Host header and header
        order; ``method`` tells whether the response can have a body (HEAD).
        """
        if self._closed:
            raise ConnectionClosed("this Connection was closed")
        try:
            async with asyncio.timeout(timeout):
                return await self._exchange(payload, method)
        except TimeoutError as error:
            self._drop_socket()
            raise RequestTimeout(
                f"no complete response from {self._host_header} within {timeout:g} s"
            ) from error
        except BaseException:
            # Whatever went wrong (including cancellation) the stream may hold half a
            # response; reusing it would misframe the next one.
            self._drop_socket()
            raise

    async def close(self) -> None:
        self._closed = True
        writer = self._writer
        self._reader = self._writer = None
        if writer is None:
            return
        writer.close()
        # Bounded, and quiet: a peer that already went away is no error at close time.
        try:
            async with asyncio.timeout(1.0):
                await writer.wait_closed()
        except (OSError, TimeoutError):
            writer.transport.abort()

    async def _connect(self) -> None:
        try:
            async with asyncio.timeout(self._connect_timeout):
                self._reader, self._writer = await asyncio.open_connection(
                    self._host, self._port, limit=_STREAM_LIMIT_BYTES
                )
        except TimeoutError as error:
            raise ConnectTimeout(
                f"could not connect to {self._host_header} within {self._connect_timeout:g} s"
            ) from error
        self._responses_on_socket = 0

    def drop_socket(self) -> None:
        """Close the socket now (a proxy retiring a connection); the next send reconnects."""
        self._drop_socket()

    def _drop_socket(self) -> None:
        if self._writer is not None:
            self._writer.transport.abort()
        self._reader = self._writer = None

    def _has_live_socket(self) -> bool:
        return self._reader is not None and not self._reader.at_eof()

    async def ensure_connected(self) -> None:
        """Connect now unless a live socket is there, so setup stays out of a timed send."""
        if self._closed:
            raise ConnectionClosed("this Connection was closed")
        if not self._has_live_socket():
            self._drop_socket()
            await self._connect()

    async def _exchange(self, payload: bytes, method: str) -> Response:
        await self.ensure_connected()
        try:
            head = await self._write_and_read_head(payload)
        except _SIGNS_OF_A_CLOSED_SOCKET as error:
            # A server may close an idle keep-alive connection just as we reuse it.
            # If it did so before sending a single byte back, the request was not
            # answered, and one retry on a fresh socket is what every HTTP client does.
            if not (self._responses_on_socket > 0 and _nothing_was_read(error)):
                raise _as_client_error(error) from error
            self._drop_socket()
            await self._connect()
            try:
                head = await self._write_and_read_head(payload)
            except _SIGNS_OF_A_CLOSED_SOCKET as retry_error:
                raise _as_client_error(retry_error) from retry_error
        return await self._read_rest_of_response(head, method)

    async def _write_and_read_head(self, payload: bytes) -> bytes:
        assert self._reader is not None and self._writer is not None
        self._writer.write(payload)
        await self._writer.drain()
        head = await self._read_head()
        # Interim 1xx responses (e.g. 103 Early Hints) precede the real one.
        while head.startswith(b"HTTP/1.1 1") and not head.startswith(b"HTTP/1.1 101"):
            head = await self._read_head()
        return head

    async def _read_head(self) -> bytes:
        assert self._reader is not None
        try:
            return await self._reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as error:
            raise MalformedResponse(
                f"response head longer than {_STREAM_LIMIT_BYTES} bytes"
            ) from error

    async def _read_rest_of_response(self, head: bytes, method: str) -> Response:
        version, status, headers, fields = _parse_head(head)
        try:
            body, framed = await self._read_body(status, headers, method)
        except (asyncio.IncompleteReadError, ConnectionResetError) as error:
            raise ConnectionClosed(
                f"{self._host_header} closed the connection in the middle of a response"
            ) from error
        except asyncio.LimitOverrunError as error:
            raise MalformedResponse("chunk size or trailer line too long") from error
        self._responses_on_socket += 1
        if not framed or _server_will_close(version, headers):
            self._drop_socket()
        return Response(status=status, headers=headers, body=body, fields=fields)

    async def _read_body(
        self, status: int, headers: dict[str, str], method: str
    ) -> tuple[bytes, bool]:
        """The body, and whether its end was framed (False: it ended with the connection)."""
        assert self._reader is not None
        if method == "HEAD" or status in _STATUSES_WITHOUT_BODY or status < 200:
            return b"", True
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await _read_chunked_body(self._reader), True
        content_length = headers.get("content-length")
        if content_length is not None:
            return await self._reader.readexactly(_parse_content_length(content_length)), True
        return await self._reader.read(), False


def _encode_request(request: Request, host_header: str) -> bytes:
    lines = [
        f"{request.method} {request.path} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        f"Content-Length: {len(request.body)}\r\n"
        "Connection: keep-alive\r\n"
    ]
    for name, value in request.headers.items():
        if name.lower() in _HEADERS_OWNED_BY_CLIENT:
            raise ValueError(f"header {name!r} is set by the client, not by the request")
        lines.append(f"{name}: {value}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1") + request.body


def _parse_head(
    head: bytes,
) -> tuple[str, int, dict[str, str], tuple[tuple[str, str], ...]]:
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if (
        len(parts) < 2
        or not parts[0].startswith("HTTP/1.")
        or len(parts[1]) != 3
        or not parts[1].isdecimal()
    ):
        raise MalformedResponse(f"not an HTTP/1.x status line: {status_line[:100]!r}")
    headers: dict[str, str] = {}
    fields = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise MalformedResponse(f"not a header line: {line[:100]!r}")
        name = name.lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
        fields.append((name, value))
    return parts[0], int(parts[1]), headers, tuple(fields)


def _parse_content_length(value: str) -> int:
    if not value.isdecimal():
        raise MalformedResponse(f"bad Content-Length: {value[:100]!r}")
    return int(value)


async def _read_chunked_body(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size_field = size_line[:-2].split(b";", 1)[0].strip()
        try:
            size = int(size_field, 16)
        except ValueError as error:
            raise MalformedResponse(f"bad chunk size line: {size_line[:100]!r}") from error
        if size == 0:
            break
        chunk = await reader.readexactly(size + 2)
        if chunk[-2:] != b"\r\n":
            raise MalformedResponse("chunk not terminated by CRLF")
        chunks.append(chunk[:-2])
    # Trailer fields, if any, end with an empty line; nothing here needs them.
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass
    return b"".join(chunks)


def _server_will_close(version: str, headers: dict[str, str]) -> bool:
    connection = headers.get("connection", "").lower()
    if version == "HTTP/1.0":
        return "keep-alive" not in connection
    return "close" in connection


def _nothing_was_read(error: BaseException) -> bool:
    # readuntil() consumes nothing unless it succeeds, so only an EOF with partial
    # bytes tells us the server had begun to answer.
    return not (isinstance(error, asyncio.IncompleteReadError) and error.partial)


def _as_client_error(error: BaseException) -> BaseException:
    if isinstance(error, asyncio.IncompleteReadError):
        if error.partial:
            return ConnectionClosed("server closed the connection in the middle of a response")
        return ConnectionClosed("server closed the connection without answering")
    return error
