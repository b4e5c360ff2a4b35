"""One downstream request through its route: fault, timeout, attempts, retries, ejection.

The order of events is Envoy's: the fault filter first (a delay, then maybe an
abort answered without contacting the upstream), then the router, whose
overall timeout spans every attempt and the back-off between them. Each
attempt's result feeds outlier detection; an ejected destination answers 503
at once. The transport that makes one attempt is passed in, so the rules can
be tested with a fake one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mesh.counters import RouteCounters
from mesh.outlier import OutlierDetector
from mesh.policy_model import HttpRoute, OutlierPolicy, RetryPolicy
from mesh.retry_rules import Failure, backoff_s, retries_failure, retries_status
from service_kit.http1_client import Response

_PLAIN_TEXT = (("content-type", "text/plain"),)


@dataclass(frozen=True, slots=True)
class Answer:
    """What goes back downstream: an upstream response or one the proxy made itself."""

    status: int
    fields: Sequence[tuple[str, str]]
    body: bytes


class AttemptFailed(Exception):
    def __init__(self, failure: Failure):
        super().__init__(failure.name)
        self.failure = failure


class Transport(Protocol):
    async def attempt(
        self, destination: str, payload: bytes, method: str, per_try_timeout_s: float | None
    ) -> Response:
        """One try: the upstream's response, or AttemptFailed saying why there is none."""
        ...


def local_answer(status: int, body: bytes, *extra: tuple[str, str]) -> Answer:
    return Answer(status, (*_PLAIN_TEXT, *extra), body)


NO_HEALTHY_UPSTREAM = local_answer(503, b"no healthy upstream")
UPSTREAM_TIMEOUT = local_answer(504, b"upstream request timeout")


class _Progress:
    """Whether an attempt is on the wire, so an overall timeout can charge it to the host."""

    __slots__ = ("in_flight",)

    def __init__(self) -> None:
        self.in_flight = False


class Forwarder:
    def __init__(
        self,
        transport: Transport,
        *,
        clock: Callable[[], float] = time.monotonic,
        chooser: random.Random | None = None,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ):
        self._transport = transport
        self._clock = clock
        self._chooser = chooser or random.Random()
        self._sleep = sleep
        self._detectors: dict[str, OutlierDetector] = {}

    def configure_outlier_detection(self, host: str, policy: OutlierPolicy | None) -> None:
        """A changed policy starts a fresh detector, as Envoy rebuilds a changed cluster."""
        current = self._detectors.get(host)
        if policy is None:
            self._detectors.pop(host, None)
        elif current is None or current.policy != policy:
            self._detectors[host] = OutlierDetector(policy, self._clock())

    def forget_outlier_state(self) -> None:
        """Start every detector afresh (ejections and error runs), as a restarted proxy would."""
        self._detectors.clear()

    def is_ejected(self, host: str) -> bool:
        detector = self._detectors.get(host)
        return detector is not None and detector.is_ejected(self._clock())

    async def forward(
        self, route: HttpRoute, counters: RouteCounters, payload: bytes, method: str
    ) -> Answer:
        fault = route.fault
        if fault is not None:
            if fault.delay_s is not None and self._chance(fault.delay_percent):
                counters.faults["delay"] += 1
                await self._sleep(fault.delay_s)
            if fault.abort_status is not None and self._chance(fault.abort_percent):
                # Counted as the one attempt this request gets: faults disable retries.
                counters.faults["abort"] += 1
                counters.attempts += 1
                return local_answer(fault.abort_status, b"fault filter abort")
        progress = _Progress()
        try:
            async with asyncio.timeout(route.effective_timeout_s):
                return await self._attempts(
                    route, route.effective_retry, counters, payload, method, progress
                )
        except TimeoutError:
            if progress.in_flight:
                self._record(route.destination, 504, counters)
            return UPSTREAM_TIMEOUT

    async def _attempts(
        self,
        route: HttpRoute,
        retry: RetryPolicy,
        counters: RouteCounters,
        payload: bytes,
        method: str,
        progress: _Progress,
    ) -> Answer:
        destination = route.destination
        retries_done = 0
        while True:
            if self.is_ejected(destination):
                return NO_HEALTHY_UPSTREAM
            counters.attempts += 1
            progress.in_flight = True
            try:
                response = await self._transport.attempt(
                    destination, payload, method, retry.per_try_timeout_s
                )
            except AttemptFailed as failed:
                progress.in_flight = False
                failure = failed.failure
                if failure is Failure.OVERFLOW:
                    counters.overflows += 1
                    return local_answer(
                        failure.status, failure.body, ("x-envoy-overloaded", "true")
                    )
                if failure is Failure.PER_TRY_TIMEOUT:
                    counters.per_try_timeouts += 1
                self._record(destination, failure.outlier_status, counters)
                if retries_done < retry.retries and retries_failure(retry, failure):
                    retries_done += 1
                    counters.retries += 1
                    await self._sleep(backoff_s(retries_done, self._chooser))
                    continue
                return local_answer(failure.status, failure.body)
            progress.in_flight = False
            self._record(destination, response.status, counters)
            overloaded = "x-envoy-overloaded" in response.headers
            if retries_done < retry.retries and retries_status(retry, response.status, overloaded):
                retries_done += 1
                counters.retries += 1
                await self._sleep(backoff_s(retries_done, self._chooser))
                continue
            return Answer(response.status, response.fields, response.body)

    def _record(self, host: str, status: int | None, counters: RouteCounters) -> None:
        detector = self._detectors.get(host)
        if detector is not None and status is not None and detector.record(status, self._clock()):
            counters.ejections += 1

    def _chance(self, percent: float) -> bool:
        return percent >= 100.0 or self._chooser.random() * 100.0 < percent
