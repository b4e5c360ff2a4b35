"""A steady load started and stopped from the page: the generator `shopdemo compare` uses.

Orders of the workshop's mix arrive at a fixed rate on each chosen variant (open model,
latency from each order's scheduled send time; `loadtests/httpload.py`). The generator
runs for a fixed window, so the load is a chain of short windows, each started on time
while the previous one still waits for its last answers: arrivals never pause for a
slow variant, and stopping ends arrivals at the end of the current window, then waits
for the answers in flight, so no order is cut off mid-request.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
import time
from collections import Counter, deque
from typing import Any

from loadtests.httpload import LoadResult, nearest_rank, run_open_loop
from shop.errors import Conflict, InvalidRequest
from shopdemo.compare.traffic import REQUEST_TIMEOUT_S, Target, order_request_maker

MIN_RATE, MAX_RATE = 0.1, 100.0  # orders/s per variant; more only saturates a laptop
STOP_TIMEOUT_S = 30.0
RECENT_S = 60.0


def parse_rate(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise InvalidRequest("rate_per_s must be a number of orders per second", "rate_per_s")
    if not MIN_RATE <= raw <= MAX_RATE:
        raise InvalidRequest(
            f"rate_per_s is {raw:g}; it must be from {MIN_RATE:g} to {MAX_RATE:g} orders/s"
            " per variant",
            "rate_per_s",
        )
    return float(raw)


def window_s(rate_per_s: float) -> float:
    """A window that holds a whole number of arrivals, so chained windows keep the rate."""
    return math.ceil(rate_per_s) / rate_per_s


class _VariantTally:
    def __init__(self) -> None:
        self.sent = 0
        self.statuses: Counter[str] = Counter()  # "201", "402", ..., "transport error"
        self.recent: deque[tuple[float, float]] = deque()  # (finished at, latency s)
        self.error: str | None = None

    def add(self, result: LoadResult) -> None:
        now = time.monotonic()
        self.sent += sum(result.statuses.values())
        for status, count in result.statuses.items():
            self.statuses["transport error" if status == 0 else str(status)] += count
        self.recent.extend((now, latency) for latency in result.latencies_s)
        while self.recent and self.recent[0][0] < now - RECENT_S:
            self.recent.popleft()

    def to_json(self) -> dict[str, Any]:
        latencies = [latency for _, latency in self.recent]
        return {
            "sent": self.sent,
            "answers": dict(sorted(self.statuses.items())),
            "ack_p95_ms": round(nearest_rank(latencies, 95) * 1000, 1) if latencies else None,
            "error": self.error,
        }


class SteadyLoad:
    """At most one load at a time; start() and stop() say what they did."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._rate = 0.0
        self._started_at: float | None = None
        self._tallies: dict[str, _VariantTally] = {}

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, targets: dict[str, str], rate_per_s: float) -> str:
        with self._lock:
            if self.running:
                raise Conflict("a load is already running; stop it before starting another")
            self._stopping.clear()
            self._rate = rate_per_s
            self._started_at = time.time()
            self._tallies = {variant: _VariantTally() for variant in targets}
            self._thread = threading.Thread(
                target=lambda: asyncio.run(self._drive(targets)), name="console-load", daemon=True
            )
            self._thread.start()
        return f"load started: {rate_per_s:g} orders/s on each of {', '.join(targets)}"

    def stop(self) -> str:
        with self._lock:
            if not self.running:
                raise Conflict("no load is running")
            self._stopping.set()
            assert self._thread is not None
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                return "stopping: no new orders are sent; answers still in flight are awaited"
        sent = ", ".join(f"{v} {t.sent}" for v, t in self._tallies.items())
        return f"load stopped after {time.time() - (self._started_at or 0):.0f} s; sent {sent}"

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "rate_per_s": self._rate if self._tallies else None,
            "started_at": self._started_at,
            "variants": {variant: tally.to_json() for variant, tally in self._tallies.items()},
            "model": "open model, the workshop's order mix; latency from each order's"
            " scheduled send time (seen by the console, as the client)",
        }

    async def _drive(self, targets: dict[str, str]) -> None:
        drivers = [
            self._drive_one(variant, url, seed)
            for seed, (variant, url) in enumerate(targets.items())
        ]
        await asyncio.gather(*drivers)

    async def _drive_one(self, variant: str, base_url: str, seed: int) -> None:
        target = Target.from_url(base_url)
        make_request = order_request_maker(seed)
        tally = self._tallies[variant]
        windows: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        length = window_s(self._rate)
        first = loop.time()
        for n in itertools.count(1):
            if self._stopping.is_set():
                break
            task = asyncio.create_task(self._one_window(target, make_request, length, tally))
            windows.add(task)
            task.add_done_callback(windows.discard)
            await asyncio.sleep(max(0.0, first + n * length - loop.time()))
        await asyncio.gather(*windows)

    async def _one_window(self, target: Target, make_request, length: float, tally) -> None:
        try:
            result = await run_open_loop(
                target.host,
                target.port,
                make_request,
                self._rate,
                length,
                request_timeout_s=REQUEST_TIMEOUT_S,
            )
        except Exception as error:  # shown in the page; the next window tries again
            tally.error = f"{type(error).__name__}: {error}"
            return
        tally.add(result)
