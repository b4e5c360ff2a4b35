"""One order read as a timeline: offsets, step durations, where it stopped, how long pending."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from console.order_timeline import describe
from shop.order_request import RequestedLine
from shop.order_view import OrderView, TimelineEntry
from shop.pricing import price
from shop.status import OrderStatus

PLACED = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)


def order(status: OrderStatus, steps: list[tuple[str, str, int]], final_after_ms: int) -> dict:
    view = OrderView(
        id=uuid.uuid4(),
        customer_id="alice",
        status=status,
        lines=price((RequestedLine("MUG-LOGO", 2),)).lines,
        created_at=PLACED,
        updated_at=PLACED + timedelta(milliseconds=final_after_ms),
        timeline=tuple(
            TimelineEntry(step, service, PLACED + timedelta(milliseconds=at_ms))
            for step, service, at_ms in steps
        ),
    )
    return view.to_json()


def test_each_step_says_when_it_happened_after_placing_and_how_long_it_took():
    confirmed = order(
        OrderStatus.CONFIRMED,
        [
            ("validated", "order", 0),
            ("stock_reserved", "inventory", 30),
            ("payment_charged", "payment", 55),
            ("confirmed", "order", 120),
        ],
        final_after_ms=120,
    )
    described = describe("event_driven", confirmed)
    assert [(s["after_placed_ms"], s["took_ms"]) for s in described["steps"]] == [
        (0, 0),
        (30, 30),
        (55, 25),
        (120, 65),
    ]
    assert described["services"] == ["order", "inventory", "payment"]
    assert described["placed_to_final_ms"] == 120
    assert described["pending_for_ms"] == 120
    assert "stopped_after" not in described


def test_an_order_that_never_became_final_says_where_it_stopped_and_how_long_it_waits():
    stuck = order(
        OrderStatus.PENDING,
        [("validated", "order", 0), ("order_saved", "order", 5)],
        final_after_ms=5,
    )
    described = describe("distributed", stuck, now=PLACED + timedelta(seconds=90))
    assert described["stopped_after"] == "order_saved (order)"
    assert described["placed_to_final_ms"] is None
    assert described["pending_for_ms"] == 90_000


def test_a_failed_order_says_after_which_step_it_failed():
    failed = order(
        OrderStatus.FAILED,
        [("validated", "order", 0), ("stock_reserved", "inventory", 10), ("failed", "order", 40)],
        final_after_ms=40,
    )
    assert describe("monolith", failed)["stopped_after"] == "failed (order)"
