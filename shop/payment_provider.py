"""A simulated external card processor, shared by every variant.

Simulated: no money moves and nothing leaves the process. The processor only
*decides* the outcome of a charge and how long the call takes; the adapter
that calls it (sync or async) waits that long, which keeps this module pure.

Tokens: ``tok_ok`` approves; ``tok_declined`` and ``tok_insufficient_funds``
decline; ``tok_provider_error`` always fails technically (as if the processor
were down); any other token is declined as an unknown card. Runtime knobs add
latency to every call and make a share of calls fail technically, so the same
fault can be applied to each architecture. A technical failure happens before
any money would move: it is safe to retry.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from shop.errors import InvalidRequest

MAX_LATENCY_MS = 60_000


class ChargeResult(StrEnum):
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    ERROR = "ERROR"


@dataclass(frozen=True)
class ChargeOutcome:
    result: ChargeResult
    reference: str | None  # the processor's charge id, set when approved
    reason: str | None  # why it was declined or failed
    latency_s: float  # how long the simulated call takes; the caller waits this long


@dataclass(frozen=True)
class PaymentFault:
    """Runtime knobs: extra latency on every call and the share of calls that fail."""

    latency_ms: int = 0
    failure_rate: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.latency_ms, bool) or not isinstance(self.latency_ms, int):
            raise InvalidRequest("latency_ms must be a whole number of milliseconds")
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise InvalidRequest(f"latency_ms must be from 0 to {MAX_LATENCY_MS}")
        if isinstance(self.failure_rate, bool) or not isinstance(self.failure_rate, int | float):
            raise InvalidRequest("failure_rate must be a number from 0 to 1")
        if not 0.0 <= float(self.failure_rate) <= 1.0:
            raise InvalidRequest("failure_rate must be from 0 to 1 (0.2 means 20% of calls fail)")

    @property
    def active(self) -> bool:
        return self.latency_ms > 0 or self.failure_rate > 0


NO_FAULT = PaymentFault()

_DECLINES = {"tok_declined": "card_declined", "tok_insufficient_funds": "insufficient_funds"}
# How many idempotency keys the processor remembers, like a real processor's retention window.
_REMEMBERED_KEYS = 100_000


class SimulatedCardProcessor:
    """Thread-safe; one instance per process, shared by all requests."""

    def __init__(self, seed: int | None = None):
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._fault = NO_FAULT
        self._approved_by_key: OrderedDict[str, str] = OrderedDict()
        self._charges = 0

    @property
    def fault(self) -> PaymentFault:
        return self._fault

    def set_fault(self, fault: PaymentFault) -> None:
        self._fault = fault

    def clear_fault(self) -> None:
        self._fault = NO_FAULT

    def charge(
        self, token: str, amount_cents: int, idempotency_key: str | None = None
    ) -> ChargeOutcome:
        """Decide a charge. With the same idempotency key, an approved charge is not repeated."""
        if amount_cents <= 0:
            raise InvalidRequest("a charge must be for a positive amount")
        fault = self._fault
        latency = fault.latency_ms / 1000
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._approved_by_key:
                reference = self._approved_by_key[idempotency_key]
                return ChargeOutcome(ChargeResult.APPROVED, reference, None, latency)
            if token == "tok_provider_error" or self._random.random() < fault.failure_rate:
                return ChargeOutcome(
                    ChargeResult.ERROR, None, "processor unavailable (simulated)", latency
                )
            if token != "tok_ok":
                reason = _DECLINES.get(token, "unknown_card")
                return ChargeOutcome(ChargeResult.DECLINED, None, reason, latency)
            self._charges += 1
            reference = self._reference(idempotency_key)
            if idempotency_key is not None:
                self._approved_by_key[idempotency_key] = reference
                if len(self._approved_by_key) > _REMEMBERED_KEYS:
                    self._approved_by_key.popitem(last=False)
            return ChargeOutcome(ChargeResult.APPROVED, reference, None, latency)

    def _reference(self, idempotency_key: str | None) -> str:
        seed = f"{idempotency_key}" if idempotency_key else f"{self._random.random()}"
        return "ch_" + hashlib.sha256(f"{seed}/{self._charges}".encode()).hexdigest()[:20]
