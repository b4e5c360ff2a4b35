"""A lean HTTP/1.1 load generator: keep-alive connections over asyncio streams, stdlib only.

Why not httpx: on a 2-core machine the load generator competes for CPU with the
service it measures. httpx spends about 1.4 ms of client CPU per request; this
client spends tens of microseconds, so the figures describe the service, not the
client. It speaks only what a benchmark against one local host:port needs: plain
HTTP/1.1, keep-alive, Content-Length or chunked bodies.

Two load models:

* ``run_closed_loop``: N workers, each sends, waits, sends again. Throughput is
  what the service sustains at concurrency N.
* ``run_open_loop``: requests arrive at a fixed rate whether or not earlier ones
  were answered, and latency counts from the scheduled send time, so queueing
  shows up in the figures instead of being hidden by a slowed-down client
  (coordinated omission).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

DEFAULT_REQUEST_TIMEOUT_S = 10.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0

# After a transport error a worker pauses briefly: a service that refuses or
# resets connections would otherwise turn every worker into a busy loop that
# steals the CPU the service needs to recover.
ERROR_BACKOFF_S = 0.01

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

    async def send(self, request: Request, timeout: float = 30.0) -> Response:
        """Send one request and read its whole response, all within ``timeout`` seconds.

        Raises RequestTimeout, ConnectTimeout, ConnectionClosed, MalformedResponse or
        an OSError; after any of them the socket is dropped and the next send
        reconnects.
        """
        if self._closed:
            raise ConnectionClosed("this Connection was closed")
        payload = _encode_request(request, self._host_header)
        try:
            async with asyncio.timeout(timeout):
                return await self._exchange(payload, request.method)
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
        version, status, headers = _parse_head(head)
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
        return Response(status=status, headers=headers, body=body)

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


def _parse_head(head: bytes) -> tuple[str, int, dict[str, str]]:
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
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise MalformedResponse(f"not a header line: {line[:100]!r}")
        name = name.lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return parts[0], int(parts[1]), headers


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


@dataclass
class LoadResult:
    duration_s: float
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def throughput(self) -> float:
        """Completed requests (any HTTP status) per second of the measuring window."""
        if self.duration_s <= 0:
            raise ValueError("throughput of a result without a measuring window")
        return len(self.latencies_s) / self.duration_s

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile of the latencies: an observed value, never interpolated."""
        if not 0 <= p <= 100:
            raise ValueError(f"percentile must be within [0, 100], got {p}")
        if not self.latencies_s:
            raise ValueError("percentile of no latencies")
        ordered = sorted(self.latencies_s)
        rank = max(1, math.ceil(p / 100 * len(ordered)))
        return ordered[rank - 1]

    def record_response(self, status: int, latency_s: float) -> None:
        self.latencies_s.append(latency_s)
        self.statuses[status] += 1

    def record_transport_error(self, error: BaseException) -> None:
        self.statuses[0] += 1
        self.errors[error_kind(error)] += 1


class _MeasuringWindow:
    """Tells the workers whether now is warm-up, measuring, or over.

    The flags are flipped by one clock task; because the event loop runs one thing
    at a time, a completion seen while ``measuring`` is True really happened inside
    the window.
    """

    def __init__(self) -> None:
        self.measuring = False
        self.over = False
        self.duration_s = 0.0

    async def run(self, warmup_s: float, duration_s: float) -> None:
        await asyncio.sleep(warmup_s)
        opened_at = time.perf_counter()
        self.measuring = True
        await asyncio.sleep(duration_s)
        self.measuring = False
        self.over = True
        self.duration_s = time.perf_counter() - opened_at


async def run_closed_loop(
    host: str,
    port: int,
    make_request: Callable[[int], Request],
    concurrency: int,
    duration_s: float,
    warmup_s: float = 0.0,
    *,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
) -> LoadResult:
    """``concurrency`` workers, each on its own connection, send-wait-repeat for the window.

    ``make_request(seq)`` gets a run-wide increasing ``seq`` (unique per request, for
    idempotency keys). Only requests that complete inside the measuring window (after
    ``warmup_s``, for ``duration_s``) are recorded. At the end no new request is sent,
    and in-flight ones are awaited, each bounded by ``request_timeout_s``. A transport
    error is recorded as status 0 plus its kind; the worker reconnects and goes on.
    An exception raised by ``make_request`` stops the run (as an ExceptionGroup).
    """
    _require_positive(concurrency=concurrency, duration_s=duration_s)
    _require_positive(request_timeout_s=request_timeout_s)
    if warmup_s < 0:
        raise ValueError(f"warmup_s must be >= 0, got {warmup_s}")
    result = LoadResult(duration_s=0.0)
    window = _MeasuringWindow()
    sequence = itertools.count()

    async def worker() -> None:
        connection = Connection(host, port, connect_timeout=request_timeout_s)
        try:
            while not window.over:
                request = make_request(next(sequence))
                try:
                    # Connecting first keeps connection setup out of the latency, which
                    # is defined as starting just before the request is written.
                    await connection.ensure_connected()
                    started = time.perf_counter()
                    response = await connection.send(request, request_timeout_s)
                except TRANSPORT_ERRORS as error:
                    if window.measuring:
                        result.record_transport_error(error)
                    # The connection dropped its socket; its next send reconnects.
                    await asyncio.sleep(ERROR_BACKOFF_S)
                    continue
                if window.measuring:
                    result.record_response(response.status, time.perf_counter() - started)
        finally:
            await connection.close()

    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(window.run(warmup_s, duration_s))
        for _ in range(concurrency):
            tasks.create_task(worker())
    result.duration_s = window.duration_s
    return result


async def run_open_loop(
    host: str,
    port: int,
    make_request: Callable[[int], Request],
    rate_per_s: float,
    duration_s: float,
    max_in_flight: int = 256,
    *,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
) -> LoadResult:
    """Requests arrive at a fixed rate (open model): request i is due at start + i / rate.

    Latency is measured from the *scheduled* send time, not from when the request
    actually left. If the service (or this client) falls behind, the wait counts as
    latency, as it would for a real user. This is how coordinated omission is
    avoided: a closed-loop client that slows down with the service never sends the
    requests that would have waited, and its percentiles look better than reality.

    Each request goes out on an idle pooled connection, or a new one when all are
    busy. At most ``max_in_flight`` requests are outstanding; an arrival beyond that
    is counted in ``errors["overload"]`` and not sent. Every request that was sent is
    recorded, even if it completes after the window, because dropping the slowest
    stragglers would hide exactly the queueing this model exists to show.
    """
    _require_positive(rate_per_s=rate_per_s, duration_s=duration_s)
    _require_positive(max_in_flight=max_in_flight, request_timeout_s=request_timeout_s)
    result = LoadResult(duration_s=0.0)
    idle: list[Connection] = []
    every_connection: list[Connection] = []
    in_flight: set[asyncio.Task[None]] = set()

    async def send_one(connection: Connection, request: Request, latency_from: float) -> None:
        try:
            response = await connection.send(request, request_timeout_s)
        except TRANSPORT_ERRORS as error:
            result.record_transport_error(error)
        else:
            result.record_response(response.status, time.perf_counter() - latency_from)
        # After an error the connection dropped its socket and reconnects on next use.
        idle.append(connection)

    started_at = time.perf_counter()
    ends_at = started_at + duration_s
    try:
        for seq in itertools.count():
            scheduled_at = started_at + seq / rate_per_s
            if scheduled_at >= ends_at:
                break
            delay = scheduled_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(in_flight) >= max_in_flight:
                result.errors["overload"] += 1
                continue
            if not idle:
                fresh = Connection(host, port, connect_timeout=request_timeout_s)
                every_connection.append(fresh)
                idle.append(fresh)
            # Loop timers may fire a fraction of a millisecond early; a request sent
            # before its scheduled time is timed from when it was actually sent, so no
            # latency comes out shorter than the real round trip.
            latency_from = min(scheduled_at, time.perf_counter())
            task = asyncio.create_task(send_one(idle.pop(), make_request(seq), latency_from))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        await asyncio.sleep(max(0.0, ends_at - time.perf_counter()))
        result.duration_s = time.perf_counter() - started_at
        if in_flight:
            # Bounded: every send has its own timeout.
            await asyncio.wait(set(in_flight))
    finally:
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        await asyncio.gather(*(connection.close() for connection in every_connection))
    return result


def run_closed_loop_sync(
    host: str,
    port: int,
    make_request: Callable[[int], Request],
    concurrency: int,
    duration_s: float,
    warmup_s: float = 0.0,
    *,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
) -> LoadResult:
    """``run_closed_loop`` on a fresh event loop (uvloop when available)."""
    return _run_on_fast_loop(
        lambda: run_closed_loop(
            host,
            port,
            make_request,
            concurrency,
            duration_s,
            warmup_s,
            request_timeout_s=request_timeout_s,
        )
    )


def run_open_loop_sync(
    host: str,
    port: int,
    make_request: Callable[[int], Request],
    rate_per_s: float,
    duration_s: float,
    max_in_flight: int = 256,
    *,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
) -> LoadResult:
    """``run_open_loop`` on a fresh event loop (uvloop when available)."""
    return _run_on_fast_loop(
        lambda: run_open_loop(
            host,
            port,
            make_request,
            rate_per_s,
            duration_s,
            max_in_flight,
            request_timeout_s=request_timeout_s,
        )
    )


_T = TypeVar("_T")


def _run_on_fast_loop(make_coroutine: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    # uvloop roughly halves the event loop's own CPU cost per request, which is the
    # whole point of this module; the stdlib loop still works without it.
    try:
        import uvloop
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(make_coroutine())


def _require_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
