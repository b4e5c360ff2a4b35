"""The event-driven variant on a real Apache Kafka broker (KRaft), restarted mid-run.

The other event-driven tests run on this broker too (tests/e2e/conftest.py)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.e2e.client import FINAL, follow, order_body
from tests.e2e.test_event_driven import Offsets, audit

pytestmark = pytest.mark.e2e


def test_a_broker_restart_during_a_run_loses_no_acknowledged_order(kafka_stack, kafka_broker):
    broker, start, stop = kafka_broker
    accepted: list[str] = []

    def load() -> None:
        with httpx.Client(base_url=kafka_stack.variants["event_driven"], timeout=10) as client:
            for _ in range(40):
                response = client.post("/orders", json=order_body())
                assert response.status_code == 202, response.text
                accepted.append(response.json()["id"])
                time.sleep(0.05)

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(0.5)
    stop()
    time.sleep(1.0)
    start()
    loader.join()
    assert len(accepted) == 40
    with httpx.Client(base_url=kafka_stack.variants["event_driven"], timeout=30) as shop:
        finals = [follow(shop, {"id": oid, "status": "PENDING"}, timeout=120) for oid in accepted]
    assert {order["status"] for order in finals} <= FINAL
    assert [order["status"] for order in finals].count("CONFIRMED") == 40
    offsets = Offsets(broker.bootstrap_servers)
    try:
        offsets.settled()
    finally:
        offsets.close()
    assert audit(kafka_stack) == []
