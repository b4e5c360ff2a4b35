"""The monolith's order transaction issued directly with psycopg: the ceiling to compare with.

The same statements, in the same order, that monolith/handlers.py issues for a
confirmed order, with no web framework, no ORM layer and no HTTP in between.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

from shop.catalog import PRODUCTS_BY_SKU

_STEPS = (
    "validated",
    "stock_reserved",
    "payment_charged",
    "shipment_created",
    "customer_notified",
    "confirmed",
)


def place_raw_order(connection: psycopg.Connection, lines: list[tuple[str, int]]) -> None:
    now = datetime.now(UTC)
    order_id = uuid.uuid4()
    total = sum(PRODUCTS_BY_SKU[sku].price_cents * quantity for sku, quantity in lines)
    with connection.transaction():
        connection.execute(
            "INSERT INTO orders (id, customer_id, status, total_cents, idempotency_key,"
            " request_fingerprint, created_at, updated_at)"
            " VALUES (%s, %s, 'PENDING', %s, %s, %s, %s, %s)"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            (order_id, "raw", total, str(order_id), "raw", now, now),
        )
        skus = sorted(sku for sku, _ in lines)
        stock = dict(
            connection.execute(
                "SELECT sku, stock FROM products WHERE sku = ANY(%s) ORDER BY sku"
                " FOR NO KEY UPDATE",
                (skus,),
            ).fetchall()
        )
        assert all(stock[sku] >= quantity for sku, quantity in lines)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO order_lines (order_id, sku, name, quantity, unit_price_cents) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s)"] * len(lines)),
                [
                    value
                    for sku, quantity in lines
                    for value in (
                        order_id,
                        sku,
                        PRODUCTS_BY_SKU[sku].name,
                        quantity,
                        PRODUCTS_BY_SKU[sku].price_cents,
                    )
                ],
            )
            cursor.executemany(
                "UPDATE products SET stock = stock - %s WHERE sku = %s",
                [(quantity, sku) for sku, quantity in lines],
            )
        connection.execute(
            "INSERT INTO payments (id, order_id, status, amount_cents, provider_reference,"
            " created_at) VALUES (%s, %s, 'CAPTURED', %s, %s, %s)",
            (uuid.uuid4(), order_id, total, "ch_raw", now),
        )
        connection.execute(
            "INSERT INTO shipments (id, order_id, status, created_at)"
            " VALUES (%s, %s, 'CREATED', %s)",
            (uuid.uuid4(), order_id, now),
        )
        connection.execute(
            "INSERT INTO notifications (id, order_id, channel, message, created_at)"
            " VALUES (%s, %s, 'email', %s, %s)",
            (uuid.uuid4(), order_id, f"Order {order_id} confirmed", now),
        )
        connection.execute(
            "INSERT INTO order_timeline (order_id, seq, step, service, at, detail) VALUES "
            + ", ".join(["(%s, %s, %s, 'raw', %s, NULL)"] * len(_STEPS)),
            [value for seq, step in enumerate(_STEPS) for value in (order_id, seq, step, now)],
        )
        connection.execute(
            "UPDATE orders SET status = 'CONFIRMED', reason_code = NULL, reason = NULL,"
            " updated_at = %s WHERE id = %s",
            (now, order_id),
        )


@dataclass
class RawResult:
    duration_s: float
    latencies_s: list[float] = field(default_factory=list)

    def throughput(self) -> float:
        return len(self.latencies_s) / self.duration_s


def run_raw_ceiling(
    database_url: str,
    make_lines,
    threads: int,
    duration_s: float,
    warmup_s: float,
) -> RawResult:
    """`threads` threads, one connection each, placing orders back to back for the window."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter()
    measure_from = start + warmup_s
    stop_at = measure_from + duration_s

    def worker(index: int) -> None:
        with psycopg.connect(database_url) as connection:
            sequence = 0
            while True:
                began = time.perf_counter()
                if began >= stop_at:
                    return
                place_raw_order(connection, make_lines(index * 10_000_000 + sequence))
                sequence += 1
                ended = time.perf_counter()
                if began >= measure_from and ended <= stop_at:
                    with lock:
                        latencies.append(ended - began)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return RawResult(duration_s, latencies)
