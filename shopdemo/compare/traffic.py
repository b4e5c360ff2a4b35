"""The load `shopdemo compare` sends: the workshop's order mix at a fixed arrival rate.

Orders only (good orders, declined cards, scarce items, in the weights of
`loadtests/order_mix.py`): browsing and look-ups would dilute the figures with
reads that every variant answers from one database, and the comparison is about
what placing an order costs.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from urllib.parse import urlsplit

from loadtests import order_mix
from loadtests.httpload import LoadResult, Request, run_open_loop_sync

ORDER_KINDS = {
    "good_order": order_mix.good_order,
    "declined_card": order_mix.declined_card,
    "scarce_item": order_mix.scarce_item,
}
ORDER_WEIGHTS = {kind: order_mix.WEIGHTS[kind] for kind in ORDER_KINDS}

LOAD_MODEL = (
    "open model: orders arrive at a fixed rate whether or not earlier ones were answered;"
    " each latency counts from the order's scheduled send time, so time spent queueing"
    " (in the variant or in the client) is counted, not hidden (no coordinated omission)"
)
MIX_STATEMENT = "orders only, weighted " + ", ".join(
    f"{kind} {weight}" for kind, weight in ORDER_WEIGHTS.items()
)

# Latencies above this are cut off and counted as transport errors ("timeout").
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Target:
    host: str
    port: int

    @classmethod
    def from_url(cls, base_url: str) -> Target:
        parts = urlsplit(base_url)
        if parts.hostname is None or parts.port is None:
            raise ValueError(f"{base_url!r} names no host and port")
        return cls(parts.hostname, parts.port)


def order_request_maker(seed: int):
    """make_request(seq) for the load generator: one order of the mix per call."""
    chooser = random.Random(seed)
    kinds = list(ORDER_WEIGHTS)
    weights = list(ORDER_WEIGHTS.values())

    def make_request(_: int) -> Request:
        body = ORDER_KINDS[chooser.choices(kinds, weights)[0]](chooser)
        return Request(
            "POST",
            "/orders",
            {
                "Content-Type": "application/json",
                "Idempotency-Key": order_mix.idempotency_key(),
            },
            json.dumps(body).encode(),
        )

    return make_request


def send_orders(target: Target, rate_per_s: float, duration_s: float, seed: int) -> LoadResult:
    return run_open_loop_sync(
        target.host,
        target.port,
        order_request_maker(seed),
        rate_per_s,
        duration_s,
        request_timeout_s=REQUEST_TIMEOUT_S,
    )
