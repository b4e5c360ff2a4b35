"""The event-driven variant on a real Apache Kafka broker (KRaft), restarted mid-run."""

from __future__ import annotations

import json
import shutil
import threading
import time

import httpx
import pytest

from shopdemo.kafka import fetch_kafka, missing_kafka_tools, start_kafka, stop_kafka
from tests.conftest import ROOT, Stack, run_shopdemo, stack_env
from tests.e2e.client import FINAL, follow, order_body, place
from tests.e2e.test_event_driven import Offsets, audit
from tests.ports import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def kafka_broker(tmp_path_factory):
    missing = missing_kafka_tools()
    if missing:
        pytest.skip(f"a real Apache Kafka needs {' and '.join(missing)}, which this machine lacks")
    jars = fetch_kafka(ROOT / ".cache")
    home = tmp_path_factory.mktemp("kafka")
    ports = (free_port(), free_port())

    def start():
        return start_kafka(home / "state", ports[0], ports[1], home / "kafka.log", jars)

    try:
        broker = start()
        yield broker, start, lambda: stop_kafka(home / "state")
    finally:
        stop_kafka(home / "state")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def kafka_stack(kafka_broker, tmp_path_factory):
    broker, _, _ = kafka_broker
    home = tmp_path_factory.mktemp("kafka-stack")
    env = stack_env(home) | {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers}
    try:
        started = run_shopdemo(env, "up", "--variant", "event_driven", timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr
        status = run_shopdemo(env, "status", "--json")
        yield Stack(env, {"event_driven": json.loads(status.stdout)["event_driven"]})
    finally:
        run_shopdemo(env, "down")
        shutil.rmtree(home, ignore_errors=True)


def test_orders_complete_on_apache_kafka(kafka_stack):
    with httpx.Client(base_url=kafka_stack.variants["event_driven"], timeout=30) as shop:
        assert place(shop, order_body()).order["status"] == "CONFIRMED"
        assert place(shop, order_body(token="tok_declined")).order["status"] == "REJECTED"


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
