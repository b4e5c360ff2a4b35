"""The event-driven variant's own guarantees, with real processes and a real broker:
the right effects in every service's database, duplicates absorbed, crashes survived."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from shop.catalog import CATALOG
from shopdemo import kafka as _kafka  # noqa: F401 - imported before kafka: it tames its warnings
from tests.e2e.client import FINAL, follow, order_body, place
from tests.e2e.databases import query
from tests.e2e.test_order_api import BAD_BODIES

# isort: split
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

pytestmark = pytest.mark.e2e

SERVICES = ("ev_order", "ev_inventory", "ev_payment", "ev_fulfillment", "ev_notification")
# Each service's consumer group and the topics it reads.
GROUPS = {
    "event-driven-order": ("inventory", "payments", "shipments", "notifications"),
    "event-driven-inventory": ("orders", "payments"),
    "event-driven-payment": ("inventory",),
    "event-driven-fulfillment": ("payments",),
    "event-driven-notification": ("shipments",),
}


@pytest.fixture
def shop(event_stack):
    with httpx.Client(base_url=event_stack.variants["event_driven"], timeout=30) as client:
        yield client


def bootstrap(event_stack) -> str:
    state = json.loads((Path(event_stack.env["SHOPDEMO_HOME"]) / "state.json").read_text())
    return state["kafka"]["bootstrap_servers"]


class Offsets:
    """Committed offsets of the saga's consumer groups, summed per group.

    Counting commits, not comparing with end offsets: Tansu's end offsets are
    one lower than Apache Kafka's, and the count is exact on both."""

    def __init__(self, servers: str):
        self.admin = KafkaAdminClient(bootstrap_servers=servers)
        self.reader = KafkaConsumer(bootstrap_servers=servers)

    def close(self) -> None:
        self.reader.close()
        self.admin.close()

    def committed(self) -> dict[str, int]:
        totals = {}
        for group, topics in GROUPS.items():
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in sorted(self.reader.partitions_for_topic(topic) or ())
            ]
            offsets = self.admin.list_group_offsets({group: partitions})[group]
            totals[group] = sum(max(meta.offset, 0) for meta in offsets.values())
        return totals

    def settled(self, quiet_s: float = 1.5, timeout: float = 60) -> dict[str, int]:
        """The committed offsets once they have not moved for `quiet_s`."""
        deadline = time.monotonic() + timeout
        last, since = self.committed(), time.monotonic()
        while time.monotonic() - since < quiet_s:
            assert time.monotonic() < deadline, "the consumers never settled"
            time.sleep(0.2)
            now = self.committed()
            if now != last:
                last, since = now, time.monotonic()
        return last

    def wait_for(self, expected: dict[str, int], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while (now := self.committed()) != expected:
            assert time.monotonic() < deadline, f"committed {now}, expected {expected}"
            time.sleep(0.2)


def effects(event_stack, order_id: str) -> dict[str, list[dict]]:
    return {
        "reservation": query(
            event_stack,
            "ev_inventory",
            "SELECT status FROM reservations WHERE order_id = %s",
            order_id,
        ),
        "payment": query(
            event_stack,
            "ev_payment",
            "SELECT status, amount_cents FROM payments WHERE order_id = %s",
            order_id,
        ),
        "shipment": query(
            event_stack, "ev_fulfillment", "SELECT id FROM shipments WHERE order_id = %s", order_id
        ),
        "notification": query(
            event_stack,
            "ev_notification",
            "SELECT order_id FROM notifications WHERE order_id = %s",
            order_id,
        ),
    }


def test_each_outcome_leaves_the_right_effects_in_every_services_database(event_stack, shop):
    confirmed = place(shop, order_body([{"sku": "BOOK-DDD", "quantity": 2}])).order
    declined = place(shop, order_body([{"sku": "BOOK-DDD", "quantity": 1}], "tok_declined")).order
    short = place(shop, order_body([{"sku": "SNEAKER-RARE", "quantity": 6}])).order
    assert (confirmed["status"], declined["status"], short["status"]) == (
        "CONFIRMED",
        "REJECTED",
        "REJECTED",
    )
    assert effects(event_stack, confirmed["id"]) == {
        "reservation": [{"status": "RESERVED"}],
        "payment": [{"status": "CAPTURED", "amount_cents": 2 * 5400}],
        "shipment": [{"id": uuid.UUID(confirmed["shipment"]["id"])}],
        "notification": [{"order_id": uuid.UUID(confirmed["id"])}],
    }
    assert effects(event_stack, declined["id"]) == {
        "reservation": [{"status": "RELEASED"}],
        "payment": [{"status": "DECLINED", "amount_cents": 5400}],
        "shipment": [],
        "notification": [],
    }
    assert effects(event_stack, short["id"]) == {
        "reservation": [],
        "payment": [],
        "shipment": [],
        "notification": [],
    }


def test_bad_input_writes_no_order_and_no_outbox_row(event_stack, shop):
    before = snapshot(event_stack)
    outbox = query(event_stack, "ev_order", "SELECT count(*) AS n FROM outbox")
    for body in BAD_BODIES.values():
        assert 400 <= shop.post("/orders", json=body).status_code < 500
    assert query(event_stack, "ev_order", "SELECT count(*) AS n FROM outbox") == outbox
    assert snapshot(event_stack) == before


def test_the_order_is_accepted_at_once_and_its_timeline_shows_each_service(shop):
    placed = place(shop, order_body())
    assert placed.http_status == 202
    services = [(entry["step"], entry["service"]) for entry in placed.order["timeline"]]
    assert services == [
        ("validated", "order"),
        ("stock_reserved", "inventory"),
        ("payment_charged", "payment"),
        ("shipment_created", "fulfillment"),
        ("customer_notified", "notification"),
        ("confirmed", "order"),
    ]
    metrics = shop.get("/metrics").text
    assert 'shop_orders_total{status="CONFIRMED",unit="order"}' in metrics


def snapshot(event_stack) -> dict[str, object]:
    """Every business fact of the variant: rows per table (bookkeeping tables aside) and stock."""
    facts: dict[str, object] = {}
    for database in SERVICES:
        tables = query(
            event_stack, database, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        for row in tables:
            if row["tablename"] in ("outbox", "processed_events"):
                continue
            count = query(event_stack, database, f'SELECT count(*) AS n FROM "{row["tablename"]}"')
            facts[f"{database}.{row['tablename']}"] = count[0]["n"]
    facts["stock"] = query(
        event_stack, "ev_inventory", "SELECT sku, stock FROM products ORDER BY sku"
    )
    facts["statuses"] = query(
        event_stack,
        "ev_order",
        "SELECT status, count(*) FROM orders GROUP BY status ORDER BY status",
    )
    return facts


def test_delivering_every_event_of_a_run_again_changes_nothing(event_stack, shop):
    for token in ("tok_ok", "tok_declined", "tok_ok"):
        place(shop, order_body([{"sku": "SOCKS-STRIPE", "quantity": 1}], token))
    servers = bootstrap(event_stack)
    offsets = Offsets(servers)
    producer = KafkaProducer(bootstrap_servers=servers, acks="all")
    try:
        before_offsets = offsets.settled()
        before = snapshot(event_stack)
        resent = dict.fromkeys(GROUPS, 0)
        for database in SERVICES:
            published = "SELECT topic, key, payload FROM outbox WHERE published_at IS NOT NULL"
            for row in query(event_stack, database, published + " ORDER BY id"):
                producer.send(row["topic"], key=row["key"].encode(), value=bytes(row["payload"]))
                for group, topics in GROUPS.items():
                    resent[group] += row["topic"] in topics
        producer.flush()
        assert sum(resent.values()) > 20
        # Every duplicate was read and its offset committed: only then is "nothing changed" news.
        offsets.wait_for({group: before_offsets[group] + resent[group] for group in GROUPS})
    finally:
        producer.close()
        offsets.close()
    assert snapshot(event_stack) == before
    assert all(not query(event_stack, db, "SELECT 1 FROM dead_letters") for db in SERVICES)


def audit(event_stack) -> list[str]:
    """What must hold for every order once the variant has settled; the list of what does not."""
    problems = []
    orders = query(event_stack, "ev_order", "SELECT id, status FROM orders")
    payments = {
        r["order_id"]: r["status"]
        for r in query(event_stack, "ev_payment", "SELECT order_id, status FROM payments")
    }
    shipments = {
        r["order_id"]
        for r in query(event_stack, "ev_fulfillment", "SELECT order_id FROM shipments")
    }
    notified = {
        r["order_id"]
        for r in query(event_stack, "ev_notification", "SELECT order_id FROM notifications")
    }
    reservations = {
        r["order_id"]: r["status"]
        for r in query(event_stack, "ev_inventory", "SELECT order_id, status FROM reservations")
    }
    for order in orders:
        oid, status = order["id"], order["status"]
        if status == "PENDING":
            problems.append(f"{oid} still pending")
        elif status == "CONFIRMED":
            if (payments.get(oid), oid in shipments, oid in notified, reservations.get(oid)) != (
                "CAPTURED",
                True,
                True,
                "RESERVED",
            ):
                problems.append(f"{oid} confirmed without every effect")
        elif (
            payments.get(oid) == "CAPTURED"
            or oid in shipments
            or reservations.get(oid) == "RESERVED"
        ):
            problems.append(f"{oid} {status} but charged, shipped or holding stock")
    held = query(
        event_stack,
        "ev_inventory",
        "SELECT l.sku, sum(l.quantity) AS held FROM reservation_lines l"
        " JOIN reservations r USING (order_id) WHERE r.status = 'RESERVED' GROUP BY l.sku",
    )
    stock = {
        r["sku"]: r["stock"]
        for r in query(event_stack, "ev_inventory", "SELECT sku, stock FROM products")
    }
    held_by_sku = {r["sku"]: r["held"] for r in held}
    for product in CATALOG:
        if product.initial_stock - stock[product.sku] != held_by_sku.get(product.sku, 0):
            problems.append(f"stock of {product.sku} not conserved")
    return problems


def test_a_consumer_service_killed_under_load_and_restarted_finishes_every_order_once(
    event_stack, shop
):
    accepted: list[str] = []

    def load() -> None:
        with httpx.Client(base_url=event_stack.variants["event_driven"], timeout=10) as client:
            for i in range(60):
                token = "tok_declined" if i % 5 == 0 else "tok_ok"
                response = client.post("/orders", json=order_body(token=token))
                assert response.status_code == 202, response.text
                accepted.append(response.json()["id"])
                time.sleep(0.05)

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(0.8)
    assert event_stack.shopdemo("kill", "event-driven-payment").returncode == 0
    time.sleep(1.0)
    restarted = event_stack.shopdemo("up", "--variant", "event_driven")
    assert restarted.returncode == 0, restarted.stderr
    loader.join()
    assert len(accepted) == 60
    for order_id in accepted:
        assert follow(shop, {"id": order_id, "status": "PENDING"}, timeout=60)["status"] in FINAL
    offsets = Offsets(bootstrap(event_stack))
    try:
        offsets.settled()
    finally:
        offsets.close()
    assert audit(event_stack) == []
