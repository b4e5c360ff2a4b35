"""The admin endpoint that sets the simulated card processor's fault knobs at runtime.

`shopdemo fault payment ...` calls it on every running variant, so the same
fault hits each architecture.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from service_kit.json_body import read_json_body
from shop.errors import InvalidRequest
from shop.payment_provider import PaymentFault, SimulatedCardProcessor

_FIELDS = {"latency_ms", "failure_rate"}


def _as_json(fault: PaymentFault) -> dict[str, Any]:
    return {"latency_ms": fault.latency_ms, "failure_rate": fault.failure_rate}


def parse_fault(raw: Any) -> PaymentFault:
    if not isinstance(raw, dict):
        raise InvalidRequest('send {"latency_ms": 0, "failure_rate": 0.0}')
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise InvalidRequest(
            f"unknown field(s) {', '.join(unknown)}; allowed: latency_ms, failure_rate"
        )
    return PaymentFault(
        latency_ms=raw.get("latency_ms", 0), failure_rate=raw.get("failure_rate", 0.0)
    )


def payment_fault_router(processor: SimulatedCardProcessor) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])

    @router.get("/payment-fault")
    async def current_payment_fault() -> dict[str, Any]:
        return _as_json(processor.fault)

    @router.put("/payment-fault")
    async def set_payment_fault(request: Request) -> dict[str, Any]:
        """Simulated fault: added latency (ms) and a share of technical failures (0..1)."""
        processor.set_fault(parse_fault(await read_json_body(request)))
        return _as_json(processor.fault)

    @router.delete("/payment-fault")
    async def clear_payment_fault() -> dict[str, Any]:
        processor.clear_fault()
        return _as_json(processor.fault)

    return router
