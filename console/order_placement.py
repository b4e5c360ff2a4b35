"""Placing one order, the same one, on one or every variant, and following it until final.

The body is checked with the domain's own validation (`shop.order_request`) before
anything is sent, so a bad order is refused once, with the domain's message, and no
variant sees it. The event-driven variant answers 202 at once; the console follows
that order (GET /orders/{id}) until it is final, as `shopdemo demo` does.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx

from shop.order_request import parse_order_request

FINAL = ("CONFIRMED", "REJECTED", "FAILED")
FOLLOW_FOR_S = 15.0
FOLLOW_EVERY_S = 0.05
REMEMBERED_GROUPS = 50


def order_body(raw: Any) -> dict[str, Any]:
    """The body to send, from what the page sent; InvalidRequest says what to change."""
    if isinstance(raw, dict) and not raw.get("customer_id"):
        raw = {**raw, "customer_id": f"console-{uuid.uuid4().hex[:8]}"}
    parsed = parse_order_request(raw)
    return {
        "customer_id": parsed.customer_id,
        "items": [{"sku": line.sku, "quantity": line.quantity} for line in parsed.lines],
        "payment_token": parsed.payment_token,
    }


class OrderBook:
    """The orders the console placed, grouped: one group is the same order on each variant."""

    def __init__(self) -> None:
        self._groups: deque[dict[str, Any]] = deque(maxlen=REMEMBERED_GROUPS)

    def place(self, http: httpx.Client, targets: dict[str, str], body: dict[str, Any]) -> dict:
        group = {
            "group": uuid.uuid4().hex[:12],
            "placed_at": datetime.now(UTC).isoformat(),
            "body": body,
            "results": [place_one(http, variant, url, body) for variant, url in targets.items()],
        }
        self._groups.appendleft(group)
        return group

    def recent(self) -> list[dict[str, Any]]:
        return list(self._groups)

    def group_of(self, order_id: str) -> dict[str, str] | None:
        """variant -> order id of the group that holds `order_id`, if the console placed it."""
        for group in self._groups:
            ids = {r["variant"]: r["order_id"] for r in group["results"] if r["order_id"]}
            if order_id in ids.values():
                return ids
        return None


def place_one(http: httpx.Client, variant: str, base_url: str, body: dict) -> dict[str, Any]:
    result: dict[str, Any] = {"variant": variant, "order_id": None, "status": None}
    started = time.perf_counter()
    try:
        response = http.post(
            f"{base_url}/orders",
            json=body,
            headers={"Idempotency-Key": f"console-{uuid.uuid4()}"},
        )
    except httpx.HTTPError as error:
        return result | {"error": f"no answer from {base_url}: {error}"}
    result["http_status"] = response.status_code
    result["ack_ms"] = round((time.perf_counter() - started) * 1000, 1)
    answer = _json(response)
    order = answer.get("order", answer) if isinstance(answer, dict) else {}
    if response.status_code == 422 or not isinstance(order, dict) or "id" not in order:
        return result | {"error": str(answer.get("detail", response.text))[:300]}
    result |= {"order_id": order["id"], "status": order["status"], "reason": order.get("reason")}
    if order["status"] not in FINAL:
        order = _follow(http, base_url, order["id"], started) or order
        result |= {"status": order["status"], "reason": order.get("reason")}
    if order["status"] in FINAL:
        result["final_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _follow(http: httpx.Client, base_url: str, order_id: str, started: float) -> dict | None:
    latest = None
    while time.perf_counter() - started < FOLLOW_FOR_S:
        try:
            response = http.get(f"{base_url}/orders/{order_id}")
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 200:
            latest = response.json()
            if latest["status"] in FINAL:
                return latest
        time.sleep(FOLLOW_EVERY_S)
    return latest


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"detail": response.text}
