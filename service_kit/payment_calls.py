"""Calling the simulated card processor from async code: decide, then take the simulated time."""

from __future__ import annotations

import asyncio

from shop.payment_provider import ChargeOutcome, SimulatedCardProcessor


async def charge(
    processor: SimulatedCardProcessor, token: str, amount_cents: int, idempotency_key: str | None
) -> ChargeOutcome:
    outcome = processor.charge(token, amount_cents, idempotency_key)
    if outcome.latency_s > 0:
        await asyncio.sleep(outcome.latency_s)
    return outcome
