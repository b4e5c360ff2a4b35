"""One order's timeline across services, and the same kind of order on the other variants.

Every variant's GET /orders/{id} lists each step with the service that did it and
when. Read as a timeline: how long each step took after the one before, where an
order that never became final stopped, and how long the order was pending (placed
-> final, from the order's own timestamps; until now while it is still pending).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from shop.errors import DependencyFailed, NotFound

FINAL = ("CONFIRMED", "REJECTED", "FAILED")


def find_order(http: httpx.Client, variants: dict[str, str], order_id: str) -> tuple[str, dict]:
    """(variant, order) of the variant that has `order_id`; NotFound when none has it."""
    unreachable = []
    for variant, base_url in variants.items():
        try:
            response = http.get(f"{base_url}/orders/{order_id}")
        except httpx.HTTPError as error:
            unreachable.append(f"{variant} ({error})")
            continue
        if response.status_code == 200:
            return variant, response.json()
        if response.status_code == 422:
            raise NotFound(response.json().get("detail", "not an order id"))
    message = f"no running variant has order {order_id}"
    if unreachable:
        raise DependencyFailed(f"{message}; not asked: {', '.join(unreachable)}")
    raise NotFound(message)


def read_order(http: httpx.Client, base_url: str, order_id: str) -> dict | None:
    try:
        response = http.get(f"{base_url}/orders/{order_id}")
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def describe(variant: str, order: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The order as a timeline the page draws: steps with offsets and durations."""
    now = now or datetime.now(UTC)
    created = datetime.fromisoformat(order["created_at"])
    updated = datetime.fromisoformat(order["updated_at"])
    final = order["status"] in FINAL
    steps = []
    previous = created
    for entry in sorted(order.get("timeline", []), key=lambda e: e["at"]):
        at = datetime.fromisoformat(entry["at"])
        steps.append(
            {
                "step": entry["step"],
                "service": entry["service"],
                "at": entry["at"],
                "detail": entry.get("detail"),
                "after_placed_ms": _ms(at - created),
                "took_ms": _ms(at - previous),
            }
        )
        previous = max(previous, at)
    described: dict[str, Any] = {
        "variant": variant,
        "id": order["id"],
        "status": order["status"],
        "reason": order.get("reason"),
        "total_cents": order.get("total_cents"),
        "created_at": order["created_at"],
        "steps": steps,
        "services": list(dict.fromkeys(step["service"] for step in steps)),
        "placed_to_final_ms": _ms(updated - created) if final else None,
        "pending_for_ms": _ms((updated if final else now) - created),
    }
    if order["status"] not in ("CONFIRMED", "REJECTED") and steps:
        last = steps[-1]
        described["stopped_after"] = f"{last['step']} ({last['service']})"
    return described


def _ms(delta) -> float:
    return round(delta.total_seconds() * 1000, 1)
