"""`shopdemo fault`: the same payment fault on every running variant, through its admin endpoint."""

from __future__ import annotations

import httpx

from shop.payment_provider import NO_FAULT, PaymentFault
from shopdemo.stack import LauncherError, Say


def apply_payment_fault(variants: dict[str, str], fault: PaymentFault, say: Say) -> None:
    if not variants:
        raise LauncherError("no variant is running; start them with `shopdemo up`")
    failed = []
    with httpx.Client(timeout=5.0) as client:
        for variant, base_url in variants.items():
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
                failed.append(f"{variant}: {error}")
                continue
            now = response.json()
            say(
                f"{variant}: payment latency {now['latency_ms']} ms, "
                f"failure rate {now['failure_rate']:g}"
            )
    if failed:
        raise LauncherError("the fault was not applied everywhere:\n" + "\n".join(failed))
