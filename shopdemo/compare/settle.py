"""After the load: which orders the run placed, and waiting until they are final.

The load generator keeps no answer bodies, so the orders a run placed are found in
the variant's own order database: those present after the load and absent before.
That also counts orders whose answer never arrived (a timeout, a crash) but which
the variant did record, which is what an audit of the run must cover.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from shopdemo.audit.snapshot import Connect
from shopdemo.audit.variant_audit import READERS

FINAL = ("CONFIRMED", "REJECTED", "FAILED")
SETTLE_BOUND_S = 60.0
POLL_EVERY_S = 0.5


def order_ids(variant: str, connect: Connect) -> set[uuid.UUID]:
    return {order.id for order in READERS[variant](connect).orders}


@dataclass
class Settled:
    statuses: dict[str, str] = field(default_factory=dict)  # order id -> last status seen
    completion_s: list[float] = field(default_factory=list)  # final orders: updated - created
    waited_s: float = 0.0
    unreadable: int = 0  # orders whose GET never answered 200

    @property
    def still_pending(self) -> int:
        return sum(1 for status in self.statuses.values() if status not in FINAL)


def wait_until_final(
    base_url: str, ids: set[uuid.UUID], bound_s: float = SETTLE_BOUND_S
) -> Settled:
    """Poll GET /orders/{id} of every order until none is PENDING, or for at most bound_s."""
    settled = Settled()
    started = time.monotonic()
    open_ids = set(ids)
    views: dict[uuid.UUID, dict] = {}
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while True:
            for order_id in sorted(open_ids):
                try:
                    response = client.get(f"/orders/{order_id}")
                except httpx.HTTPError:
                    continue
                if response.status_code == 200:
                    views[order_id] = response.json()
                    if views[order_id]["status"] in FINAL:
                        open_ids.discard(order_id)
            if not open_ids or time.monotonic() - started >= bound_s:
                break
            time.sleep(POLL_EVERY_S)
    settled.waited_s = time.monotonic() - started
    for order_id in ids:
        view = views.get(order_id)
        if view is None:
            settled.unreadable += 1
            settled.statuses[str(order_id)] = "UNREADABLE"
            continue
        settled.statuses[str(order_id)] = view["status"]
        if view["status"] in FINAL:
            settled.completion_s.append(_completion_s(view))
    return settled


def _completion_s(view: dict) -> float:
    created = datetime.fromisoformat(view["created_at"])
    updated = datetime.fromisoformat(view["updated_at"])
    return (updated - created).total_seconds()
