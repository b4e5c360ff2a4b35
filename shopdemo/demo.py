"""`shopdemo demo`: a handful of orders on each running variant, and a table of what happened."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx

from shopdemo.stack import Say

FINAL = {"CONFIRMED", "REJECTED", "FAILED"}


@dataclass(frozen=True)
class DemoOrder:
    label: str
    items: list[dict[str, object]]
    token: str


DEMO_ORDERS = (
    DemoOrder("two mugs, good card", [{"sku": "MUG-LOGO", "quantity": 2}], "tok_ok"),
    DemoOrder(
        "t-shirt and book, good card",
        [{"sku": "TSHIRT-BLK-M", "quantity": 1}, {"sku": "BOOK-DDD", "quantity": 1}],
        "tok_ok",
    ),
    DemoOrder("hoodie, declined card", [{"sku": "HOODIE-GRY-L", "quantity": 1}], "tok_declined"),
    # More than the rare sneakers' whole starting stock: out of stock on any run.
    DemoOrder("6 rare sneakers (5 exist)", [{"sku": "SNEAKER-RARE", "quantity": 6}], "tok_ok"),
)


@dataclass(frozen=True)
class DemoResult:
    variant: str
    label: str
    http_status: int
    order_status: str
    ack_ms: float
    final_ms: float


def place_and_follow(
    client: httpx.Client, base_url: str, order: DemoOrder
) -> tuple[int, str, float, float]:
    """Place one order; follow it until final (the event-driven variant answers 202 first)."""
    body = {
        "customer_id": f"demo-{uuid.uuid4().hex[:8]}",
        "items": order.items,
        "payment_token": order.token,
    }
    started = time.perf_counter()
    response = client.post(
        f"{base_url}/orders", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    ack = time.perf_counter() - started
    payload = response.json()
    view = payload.get("order", payload)
    status = view.get("status", "-")
    while status not in FINAL and "id" in view and time.perf_counter() - started < 30:
        time.sleep(0.02)
        view = client.get(f"{base_url}/orders/{view['id']}").json()
        status = view.get("status", "-")
    return response.status_code, status, ack * 1000, (time.perf_counter() - started) * 1000


def run_demo(variants: dict[str, str], say: Say) -> list[DemoResult]:
    results = []
    with httpx.Client(timeout=30.0) as client:
        for variant, base_url in variants.items():
            for order in DEMO_ORDERS:
                code, status, ack_ms, final_ms = place_and_follow(client, base_url, order)
                results.append(DemoResult(variant, order.label, code, status, ack_ms, final_ms))
    say(format_table(results))
    return results


def format_table(results: list[DemoResult]) -> str:
    header = ("variant", "order", "HTTP", "status", "ack ms", "final ms")
    rows = [
        (
            r.variant,
            r.label,
            str(r.http_status),
            r.order_status,
            f"{r.ack_ms:.1f}",
            f"{r.final_ms:.1f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
