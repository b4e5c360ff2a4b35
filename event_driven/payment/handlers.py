"""Charging the card when stock is reserved.

Technical failures of the processor are retried with back-off under one
idempotency key (the order id), so a retry never charges twice; after the last
try the saga is told, and compensation (releasing stock) follows by events.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from psycopg import Connection

from event_driven.payment.config import UNIT
from event_driven.payment.repository import PaymentRepository
from event_driven.reactions import emit
from service_kit.events.envelope import Event
from shop.errors import PaymentDeclined, PaymentProviderError
from shop.payment_provider import ChargeOutcome, ChargeResult, SimulatedCardProcessor
from shop.saga_events import PAYMENT_FAILED, PAYMENT_SUCCEEDED, STOCK_RESERVED

# Tries in all, and the wait before each retry: about 0.75 s of waiting before giving up.
CHARGE_TRIES = 4
FIRST_BACKOFF_S = 0.05


def make_handler(processor: SimulatedCardProcessor):
    def handle(connection: Connection, event: Event) -> None:
        if event.type == STOCK_RESERVED:
            charge(connection, processor, event)

    return handle


def charge(connection: Connection, processor: SimulatedCardProcessor, event: Event) -> None:
    repository = PaymentRepository(connection)
    if repository.for_order(event.order_id) is not None:
        return  # already charged (or refused) for this order
    amount = event.data["total_cents"]
    outcome, tries = _charge_with_retries(processor, event, amount)
    row = {
        "order_id": event.order_id,
        "status": {
            ChargeResult.APPROVED: "CAPTURED",
            ChargeResult.DECLINED: "DECLINED",
            ChargeResult.ERROR: "FAILED",
        }[outcome.result],
        "amount_cents": amount,
        "provider_reference": outcome.reference,
        "reason": outcome.reason,
        "attempts": tries,
        "created_at": datetime.now(UTC),
    }
    repository.add(row)
    if outcome.result is ChargeResult.APPROVED:
        emit(
            connection,
            event,
            PAYMENT_SUCCEEDED,
            UNIT,
            {
                "customer_id": event.data["customer_id"],
                "lines": event.data["lines"],
                "amount_cents": amount,
                "provider_reference": outcome.reference,
            },
        )
        return
    if outcome.result is ChargeResult.DECLINED:
        failure: PaymentDeclined | PaymentProviderError = PaymentDeclined(
            outcome.reason or "declined"
        )
    else:
        failure = PaymentProviderError(
            f"the card processor failed {tries} times ({outcome.reason}); no charge was made"
        )
    emit(
        connection,
        event,
        PAYMENT_FAILED,
        UNIT,
        {"reason_code": failure.code, "reason": failure.message},
    )


def _charge_with_retries(
    processor: SimulatedCardProcessor, event: Event, amount: int
) -> tuple[ChargeOutcome, int]:
    backoff = FIRST_BACKOFF_S
    for tries in range(1, CHARGE_TRIES + 1):
        outcome = processor.charge(event.data["payment_token"], amount, str(event.order_id))
        time.sleep(outcome.latency_s)  # the simulated call takes this long
        if outcome.result is not ChargeResult.ERROR or tries == CHARGE_TRIES:
            return outcome, tries
        time.sleep(backoff)
        backoff *= 2
    raise AssertionError("unreachable")
