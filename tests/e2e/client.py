"""Talking to any variant the way a client does: one helper for the synchronous variants
(final answer at once) and the asynchronous one (202, then poll until final)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

FINAL = {"CONFIRMED", "REJECTED", "FAILED"}


@dataclass(frozen=True)
class Placed:
    response: httpx.Response
    order: dict[str, Any]  # the order once final

    @property
    def http_status(self) -> int:
        return self.response.status_code


def order_body(items=None, token="tok_ok", customer=None) -> dict[str, Any]:
    return {
        "customer_id": customer or f"e2e-{uuid.uuid4().hex[:10]}",
        "items": items or [{"sku": "MUG-LOGO", "quantity": 1}],
        "payment_token": token,
    }


def place(client: httpx.Client, body: Any, key: str | None = None, timeout: float = 30) -> Placed:
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    response = client.post("/orders", json=body, headers=headers)
    payload = response.json()
    order = payload.get("order", payload) if isinstance(payload, dict) else {}
    return Placed(response, follow(client, order, timeout))


def follow(client: httpx.Client, order: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while "id" in order and order.get("status") not in FINAL and time.monotonic() < deadline:
        time.sleep(0.02)
        order = client.get(f"/orders/{order['id']}").json()
    return order


def stock(client: httpx.Client) -> dict[str, int]:
    return {p["sku"]: p["stock"] for p in client.get("/products").json()}
