"""The payment fault on every running variant at once, or on none: never half set.

The knobs are the same admin endpoint `shopdemo fault` calls, on each unit that holds
the simulated card processor. The console first reads every unit's current fault (a
unit that does not answer stops the action before anything changed), then sets them
one by one; if one refuses or fails, the ones already set are put back as they were,
and the answer says so.
"""

from __future__ import annotations

from typing import Any

import httpx

from service_kit.payment_admin import parse_fault
from shop.errors import DependencyFailed
from shop.payment_provider import NO_FAULT, PaymentFault

PATH = "/admin/payment-fault"


def parse_payment_fault(raw: Any) -> PaymentFault:
    """The domain's own checks (0..60000 ms, 0..1): InvalidRequest says what to change."""
    return parse_fault(raw)


def apply_everywhere(http: httpx.Client, units: dict[str, str], fault: PaymentFault) -> list[str]:
    if not units:
        raise DependencyFailed("no running variant has a card processor to set a fault on")
    before = {}
    for name, url in units.items():
        try:
            response = http.get(f"{url}{PATH}")
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise DependencyFailed(
                f"{name} does not answer ({error}); nothing was changed on any variant"
            ) from None
        before[name] = response.json()
    done: list[str] = []
    said: list[str] = []
    for name, url in units.items():
        try:
            now = _set(http, url, fault)
        except (httpx.HTTPError, ValueError) as error:
            restored = _restore(http, units, before, done)
            raise DependencyFailed(
                f"{name} refused the fault ({_reason(error)}); {restored}"
            ) from None
        done.append(name)
        said.append(
            f"{name}: payment latency {now['latency_ms']} ms, "
            f"failure rate {now['failure_rate'] * 100:g} %"
        )
    return said


def _set(http: httpx.Client, url: str, fault: PaymentFault) -> dict[str, Any]:
    if fault == NO_FAULT:
        response = http.delete(f"{url}{PATH}")
    else:
        body = {"latency_ms": fault.latency_ms, "failure_rate": fault.failure_rate}
        response = http.put(f"{url}{PATH}", json=body)
    response.raise_for_status()
    return response.json()


def _restore(http: httpx.Client, units: dict[str, str], before: dict, done: list[str]) -> str:
    if not done:
        return "nothing was changed"
    failed = []
    for name in done:
        try:
            http.put(f"{units[name]}{PATH}", json=before[name]).raise_for_status()
        except httpx.HTTPError as error:
            failed.append(f"{name} ({error})")
    if failed:
        return "could not put back the previous fault on: " + ", ".join(failed)
    return f"{', '.join(done)} put back to the previous fault"


def _reason(error: Exception) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        try:
            return f"{error.response.status_code}: {error.response.json()['detail']}"
        except (ValueError, KeyError, TypeError):
            return f"{error.response.status_code}: {error.response.text[:200]}"
    return str(error) or type(error).__name__
