"""`shopdemo fault`: the same payment fault on every running variant.

The fault is set where each variant calls the simulated card processor: the
monolith itself, and the payment service of the distributed and event-driven
variants (through its admin endpoint).
"""

from __future__ import annotations

import httpx

from shop.payment_provider import NO_FAULT, PaymentFault
from shopdemo.config import LauncherConfig
from shopdemo.stack import LauncherError, Say, unit_records
from shopdemo.units import find_unit


def payment_units(config: LauncherConfig) -> dict[str, str]:
    """Unit name -> URL of every running unit that holds a card processor."""
    return {
        name: url
        for name, (_, url, alive) in unit_records(config).items()
        if alive and (unit := find_unit(name)) is not None and unit.payment_processor
    }


def apply_payment_fault(config: LauncherConfig, fault: PaymentFault, say: Say) -> None:
    units = payment_units(config)
    if not units:
        raise LauncherError("no variant is running; start them with `shopdemo up`")
    failed = []
    with httpx.Client(timeout=5.0) as client:
        for name, base_url in units.items():
            try:
                if fault == NO_FAULT:
                    response = client.delete(f"{base_url}/admin/payment-fault")
                else:
                    response = client.put(
                        f"{base_url}/admin/payment-fault",
                        json={"latency_ms": fault.latency_ms, "failure_rate": fault.failure_rate},
                    )
                response.raise_for_status()
            except httpx.HTTPError as error:
                failed.append(f"{name}: {error}")
                continue
            now = response.json()
            say(
                f"{name}: payment latency {now['latency_ms']} ms, "
                f"failure rate {now['failure_rate']:g}"
            )
    if failed:
        raise LauncherError("the fault was not applied everywhere:\n" + "\n".join(failed))
