"""A lean HTTP/1.1 load generator: keep-alive connections over asyncio streams, stdlib only.

Why not httpx: on a 2-core machine the load generator competes for CPU with the
service it measures. httpx spends about 1.4 ms of client CPU per request; this
client spends tens of microseconds, so the figures describe the service, not the
client. It speaks only what a benchmark against one local host:port needs: plain
HTTP/1.1, keep-alive, Content-Length or chunked bodies. The client itself is
``service_kit.http1_client`` (the mesh proxy forwards with it too).

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
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

# The client itself lives in service_kit (the mesh proxy forwards with it); these
# names stay importable from here for the benchmarks and tests that use them.
from service_kit.http1_client import (
    DEFAULT_CONNECT_TIMEOUT_S,
    TRANSPORT_ERRORS,
    Connection,
    ConnectionClosed,
    ConnectTimeout,
    HttpClientError,
    MalformedResponse,
    Request,
    RequestTimeout,
    Response,
    error_kind,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT_S",
    "DEFAULT_REQUEST_TIMEOUT_S",
    "TRANSPORT_ERRORS",
    "Connection",
    "ConnectionClosed",
    "ConnectTimeout",
    "HttpClientError",
    "LoadResult",
    "MalformedResponse",
    "Request",
    "RequestTimeout",
    "Response",
    "error_kind",
    "run_closed_loop",
    "run_closed_loop_sync",
    "run_open_loop",
    "run_open_loop_sync",
]

DEFAULT_REQUEST_TIMEOUT_S = 10.0

# After a transport error a worker pauses briefly: a service that refuses or
# resets connections would otherwise turn every worker into a busy loop that
# steals the CPU the service needs to recover.
ERROR_BACKOFF_S = 0.01


def nearest_rank(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile: an observed value, never interpolated."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within [0, 100], got {p}")
    if not values:
        raise ValueError("percentile of no latencies")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


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
        return nearest_rank(self.latencies_s, p)

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
