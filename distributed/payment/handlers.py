"""Charging and refunding. Each request is one charge at the processor and one row here."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from distributed.payment.repository import PaymentRepository
from service_kit.payment_calls import charge as call_processor
from service_kit.unit_of_work import SqlUnitOfWork
from shop.contracts import ChargeRequest
from shop.errors import Conflict, NotFound, PaymentDeclined, PaymentProviderError
from shop.payment_provider import ChargeResult, SimulatedCardProcessor

UnitOfWorkFactory = Callable[[], SqlUnitOfWork[PaymentRepository]]


def payment_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "order_id": str(row["order_id"]),
        "status": row["status"],
        "amount_cents": row["amount_cents"],
        "provider_reference": row["provider_reference"],
        "reason": row["reason"],
        "created_at": row["created_at"].isoformat(),
        "refunded_at": row["refunded_at"].isoformat() if row["refunded_at"] else None,
    }


async def charge(
    new_unit_of_work: UnitOfWorkFactory, processor: SimulatedCardProcessor, request: ChargeRequest
) -> dict[str, Any]:
    # Like many first versions: no idempotency key towards the processor. A retry of this
    # request (by the mesh, after a per-try timeout) is a second, real charge.
    outcome = await call_processor(processor, request.payment_token, request.amount_cents, None)
    if outcome.result is ChargeResult.ERROR:
        raise PaymentProviderError(f"the card processor failed ({outcome.reason}); no charge made")
    declined = outcome.result is ChargeResult.DECLINED
    row = {
        "id": uuid.uuid4(),
        "order_id": request.order_id,
        "status": "DECLINED" if declined else "CAPTURED",
        "amount_cents": request.amount_cents,
        "provider_reference": outcome.reference,
        "reason": outcome.reason,
        "created_at": datetime.now(UTC),
        "refunded_at": None,
    }
    async with new_unit_of_work() as uow:
        await uow.repository.add(row)
        await uow.commit()
    if declined:
        raise PaymentDeclined(outcome.reason or "declined")
    return payment_json(row)


async def refund(new_unit_of_work: UnitOfWorkFactory, payment_id: uuid.UUID) -> dict[str, Any]:
    async with new_unit_of_work() as uow:
        row = await uow.repository.lock(payment_id)
        if row is None:
            raise NotFound(f"no payment with id {payment_id}")
        if row["status"] != "CAPTURED":
            raise Conflict(f"payment {payment_id} is {row['status']}, not CAPTURED")
        now = datetime.now(UTC)
        await uow.repository.mark_refunded(payment_id, now)
        await uow.commit()
    return payment_json(row | {"status": "REFUNDED", "refunded_at": now})


async def payments_for_order(
    new_unit_of_work: UnitOfWorkFactory, order_id: uuid.UUID
) -> list[dict[str, Any]]:
    async with new_unit_of_work() as uow:
        return [payment_json(row) for row in await uow.repository.for_order(order_id)]
