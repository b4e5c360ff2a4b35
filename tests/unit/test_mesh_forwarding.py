"""Retries, timeouts, faults and ejection as the Forwarder decides them (scripted transport)."""

from __future__ import annotations

import asyncio
import random

import pytest

from mesh.counters import MeshCounters
from mesh.forwarding import AttemptFailed, Forwarder
from mesh.policy_model import (
    ISTIO_DEFAULT_RETRY,
    FaultPolicy,
    HttpRoute,
    OutlierPolicy,
    RetryPolicy,
)
from mesh.retry_rules import Failure, backoff_s
from service_kit.http1_client import Response

RETRY_5XX = RetryPolicy(3, frozenset({"5xx"}), frozenset(), None)


def response(status: int, *headers: tuple[str, str]) -> Response:
    return Response(status, dict(headers), b"body", fields=headers)


class ScriptedTransport:
    """Answers attempts from a script: a Response, a Failure, or "hang" (never answers)."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls: list[float | None] = []

    async def attempt(self, destination, payload, method, per_try_timeout_s):
        self.calls.append(per_try_timeout_s)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if step == "hang":
            await asyncio.sleep(3600)
        if isinstance(step, Failure):
            raise AttemptFailed(step)
        return step


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def forward(transport, route, forwarder=None, sleeps=None):
    sleeps = [] if sleeps is None else sleeps

    async def fake_sleep(seconds):
        sleeps.append(seconds)

    forwarder = forwarder or Forwarder(transport, sleep=fake_sleep, chooser=random.Random(1))
    counters = MeshCounters().for_route(route.label, route.destination)
    answer = asyncio.run(forwarder.forward(route, counters, b"GET / HTTP/1.1\r\n\r\n", "GET"))
    return answer, counters


def route(retry=RETRY_5XX, timeout_s=None, fault=None) -> HttpRoute:
    return HttpRoute("payment/payment", (), "payment", timeout_s, retry, fault)


def test_a_503_is_retried_attempts_times_and_the_last_answer_goes_back():
    transport = ScriptedTransport(response(503))
    sleeps: list[float] = []

    answer, counters = forward(transport, route(), sleeps=sleeps)

    assert answer.status == 503
    assert len(transport.calls) == 4
    assert (counters.attempts, counters.retries) == (4, 3)
    assert len(sleeps) == 3


def test_a_retry_that_succeeds_ends_the_attempts():
    transport = ScriptedTransport(response(503), response(200))

    answer, counters = forward(transport, route())

    assert answer.status == 200
    assert (counters.attempts, counters.retries) == (2, 1)


def test_a_4xx_is_never_retried_by_5xx():
    answer, counters = forward(ScriptedTransport(response(409)), route())

    assert answer.status == 409 and counters.attempts == 1


@pytest.mark.parametrize(
    ("retry_on", "status", "retried"),
    [
        ({"gateway-error"}, 500, False),
        ({"gateway-error"}, 504, True),
        ({"5xx"}, 500, True),
        ({"connect-failure"}, 503, False),
        ({"retriable-status-codes"}, 503, True),
        ({"retriable-status-codes"}, 502, False),
    ],
)
def test_which_statuses_are_retried_depends_on_retry_on(retry_on, status, retried):
    policy = RetryPolicy(1, frozenset(retry_on), frozenset({503}), None)

    _, counters = forward(ScriptedTransport(response(status)), route(policy))

    assert counters.retries == (1 if retried else 0)


def test_istios_default_policy_retries_a_refused_connection_twice():
    _, counters = forward(ScriptedTransport(Failure.CONNECT_FAILURE), route(ISTIO_DEFAULT_RETRY))

    assert (counters.attempts, counters.retries) == (3, 2)


def test_istios_default_policy_does_not_retry_a_500():
    _, counters = forward(ScriptedTransport(response(500)), route(ISTIO_DEFAULT_RETRY))

    assert counters.attempts == 1


def test_a_per_try_timeout_is_retried_under_5xx_and_counted():
    transport = ScriptedTransport(Failure.PER_TRY_TIMEOUT, response(200))
    policy = RetryPolicy(3, frozenset({"5xx"}), frozenset(), 1.0)

    answer, counters = forward(transport, route(policy))

    assert answer.status == 200
    assert transport.calls == [1.0, 1.0]
    assert (counters.per_try_timeouts, counters.retries) == (1, 1)


def test_a_per_try_timeout_is_not_retried_under_connect_failure_alone():
    policy = RetryPolicy(3, frozenset({"connect-failure"}), frozenset(), 1.0)

    answer, counters = forward(ScriptedTransport(Failure.PER_TRY_TIMEOUT), route(policy))

    assert (answer.status, answer.body) == (504, b"upstream request timeout")
    assert counters.retries == 0


def test_the_last_per_try_timeout_answers_504():
    answer, counters = forward(ScriptedTransport(Failure.PER_TRY_TIMEOUT), route())

    assert answer.status == 504
    assert counters.per_try_timeouts == 4


def test_the_overall_timeout_ends_every_attempt_with_504():
    answer, counters = forward(ScriptedTransport("hang"), route(timeout_s=0.05))

    assert (answer.status, answer.body) == (504, b"upstream request timeout")
    assert counters.attempts == 1


def test_an_overflow_answers_503_overloaded_and_is_never_retried():
    answer, counters = forward(ScriptedTransport(Failure.OVERFLOW), route())

    assert answer.status == 503
    assert ("x-envoy-overloaded", "true") in answer.fields
    assert (counters.attempts, counters.overflows, counters.retries) == (1, 1, 0)


def test_an_upstream_answer_marked_overloaded_is_not_retried():
    overloaded = response(503, ("x-envoy-overloaded", "true"))

    _, counters = forward(ScriptedTransport(overloaded), route())

    assert counters.retries == 0


def test_an_injected_abort_answers_without_contacting_the_upstream_and_is_one_attempt():
    transport = ScriptedTransport(response(200))
    fault = FaultPolicy(None, 0.0, 503, 100.0)

    answer, counters = forward(transport, route(fault=fault))

    assert (answer.status, answer.body) == (503, b"fault filter abort")
    assert transport.calls == []
    assert (counters.attempts, counters.retries, counters.faults["abort"]) == (1, 0, 1)


def test_a_delayed_request_is_forwarded_after_the_delay_without_retries():
    transport = ScriptedTransport(response(503))
    sleeps: list[float] = []

    answer, counters = forward(
        transport, route(fault=FaultPolicy(7.0, 100.0, None, 0.0)), sleeps=sleeps
    )

    assert sleeps == [7.0]
    assert answer.status == 503
    assert (counters.attempts, counters.retries, counters.faults["delay"]) == (1, 0, 1)


def test_a_fault_at_zero_percent_never_fires():
    fault = FaultPolicy(7.0, 0.0, 503, 0.0)

    answer, counters = forward(ScriptedTransport(response(200)), route(fault=fault))

    assert answer.status == 200 and not counters.faults


def test_consecutive_5xx_eject_the_destination_which_then_fails_fast():
    clock = Clock()
    transport = ScriptedTransport(response(500))
    forwarder = Forwarder(transport, clock=clock, sleep=lambda s: asyncio.sleep(0))
    forwarder.configure_outlier_detection("payment", OutlierPolicy(3, 10.0, 30.0, 100))
    no_retries = RetryPolicy(0, frozenset(), frozenset(), None)

    statuses = [forward(transport, route(no_retries), forwarder)[0].status for _ in range(3)]
    answer, counters = forward(transport, route(no_retries), forwarder)

    assert statuses == [500, 500, 500]
    assert (answer.status, answer.body) == (503, b"no healthy upstream")
    assert len(transport.calls) == 3
    assert counters.attempts == 0


def test_the_retry_that_hits_the_ejection_threshold_ends_with_no_healthy_upstream():
    transport = ScriptedTransport(response(503))
    forwarder = Forwarder(transport, clock=Clock(), sleep=lambda s: asyncio.sleep(0))
    forwarder.configure_outlier_detection("payment", OutlierPolicy(3, 10.0, 30.0, 100))

    answer, counters = forward(transport, route(), forwarder)

    assert answer.body == b"no healthy upstream"
    assert (counters.attempts, counters.ejections) == (3, 1)


@pytest.mark.parametrize("retry_number", [1, 2, 3, 4, 5, 9])
def test_backoff_is_full_jitter_below_25ms_doubling_up_to_250ms(retry_number):
    ceiling = min(0.025 * 2 ** (retry_number - 1), 0.25)
    chooser = random.Random(retry_number)

    waits = [backoff_s(retry_number, chooser) for _ in range(300)]

    assert all(0 <= wait < ceiling for wait in waits)
    assert max(waits) > ceiling * 0.8
