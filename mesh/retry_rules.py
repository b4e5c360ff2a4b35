"""Envoy's retry decisions and back-off, as pure functions of a policy and what happened.

Kept apart from the forwarding loop so that each rule can be tested on its own
and read next to Envoy's `RetryStateImpl` it mirrors.
"""

from __future__ import annotations

import enum
import random

from mesh.policy_model import RetryPolicy

BACKOFF_BASE_MS = 25  # Envoy's default base interval
BACKOFF_MAX_MS = 250  # Envoy's default cap: ten times the base

_GATEWAY_ERRORS = frozenset({502, 503, 504})
_RESET_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers. reset reason:"


class Failure(enum.Enum):
    """An attempt that produced no upstream response, with the answer Envoy gives for it."""

    CONNECT_FAILURE = (
        503,
        f"{_RESET_BEFORE_HEADERS} connection failure",
    )
    RESET = (
        503,
        f"{_RESET_BEFORE_HEADERS} connection termination",
    )
    PROTOCOL_ERROR = (
        502,
        f"{_RESET_BEFORE_HEADERS} protocol error",
    )
    PER_TRY_TIMEOUT = (504, "upstream request timeout")
    OVERFLOW = (
        503,
        f"{_RESET_BEFORE_HEADERS} overflow",
    )

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def body(self) -> bytes:
        return self.value[1].encode()

    @property
    def outlier_status(self) -> int | None:
        """What outlier detection counts it as; None: not the host's fault (overflow)."""
        if self is Failure.OVERFLOW:
            return None
        return 504 if self is Failure.PER_TRY_TIMEOUT else 503


def retries_status(policy: RetryPolicy, status: int, overloaded: bool) -> bool:
    """Whether an upstream answer with ``status`` is retried (Envoy's wouldRetryFromHeaders)."""
    if overloaded:
        # Envoy never retries an answer carrying x-envoy-overloaded.
        return False
    retry_on = policy.retry_on
    if "5xx" in retry_on and 500 <= status <= 599:
        return True
    if "gateway-error" in retry_on and status in _GATEWAY_ERRORS:
        return True
    return "retriable-status-codes" in retry_on and status in policy.retriable_status_codes


def retries_failure(policy: RetryPolicy, failure: Failure) -> bool:
    """Whether an attempt without an answer is retried (Envoy's wouldRetryFromReset).

    A per-try timeout resets the upstream stream, so it counts as a reset; a
    refused connection is a connect failure, which 5xx, gateway-error and reset
    also cover. refused-stream is HTTP/2's REFUSED_STREAM; HTTP/1.1 has no such
    thing, so the proxy treats it as a refused connection.
    """
    if failure is Failure.OVERFLOW:
        return False
    retry_on = policy.retry_on
    if failure is Failure.CONNECT_FAILURE and retry_on & {"connect-failure", "refused-stream"}:
        return True
    return bool(retry_on & {"reset", "5xx", "gateway-error"})


def backoff_s(retry_number: int, chooser: random.Random) -> float:
    """The wait before retry ``retry_number`` (1 for the first): Envoy's jittered exponential.

    The n-th retry waits a random whole number of milliseconds below
    min(25 ms * 2^(n-1), 250 ms): full jitter, so retries from many requests spread out.
    """
    ceiling_ms = min(BACKOFF_BASE_MS << min(retry_number - 1, 16), BACKOFF_MAX_MS)
    return chooser.randrange(ceiling_ms) / 1000
