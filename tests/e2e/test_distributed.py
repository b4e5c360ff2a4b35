"""The distributed monolith's own behaviour: isolation, and anomalies with real causes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shopdemo.units import VARIANTS
from tests.e2e.client import order_body, place
from tests.e2e.databases import database_url, query
from tests.e2e.test_order_api import BAD_BODIES

pytestmark = pytest.mark.e2e

SERVICES = [unit.database for unit in VARIANTS["distributed"].units if unit.database]
SCENARIOS = Path(__file__).resolve().parents[2] / "istio" / "scenarios"


@pytest.fixture
def units(stack):
    return json.loads(stack.shopdemo("status", "--json", "--units").stdout)


@pytest.fixture
def shop(stack):
    with httpx.Client(base_url=stack.variants["distributed"], timeout=60) as client:
        yield client


def requests_seen(unit_url: str, method: str, route: str) -> int:
    text = httpx.get(f"{unit_url}/metrics").text
    return int(
        sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "shop_http_requests_total"
            and sample.labels["method"] == method
            and sample.labels["route"] == route
        )
    )


def test_no_service_role_can_connect_to_another_services_database(stack):
    for role in SERVICES:
        for database in SERVICES:
            url = database_url(stack, role).rsplit("/", 1)[0] + f"/{database}"
            if role == database:
                psycopg.connect(url).close()
                continue
            with pytest.raises(psycopg.OperationalError, match="permission denied"):
                psycopg.connect(url)


def row_counts(stack) -> dict[str, int]:
    """Rows in every table of every service's database."""
    counts = {}
    for service in SERVICES:
        tables = query(
            stack, service, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        for row in tables:
            count = query(stack, service, f'SELECT count(*) AS n FROM "{row["tablename"]}"')
            counts[f"{service}.{row['tablename']}"] = count[0]["n"]
    return counts


def test_bad_input_writes_nothing_in_any_services_database(stack, shop):
    before = row_counts(stack)
    for body in BAD_BODIES.values():
        assert 400 <= shop.post("/orders", json=body).status_code < 500
    assert (
        shop.post("/orders", content=b"{", headers={"Content-Type": "application/json"}).status_code
        == 422
    )
    assert row_counts(stack) == before


def test_each_step_of_a_confirmed_order_is_recorded_by_the_service_that_did_it(shop):
    order = place(shop, order_body()).order
    timeline = shop.get(f"/orders/{order['id']}").json()["timeline"]
    services = {entry["step"]: entry["service"] for entry in timeline}
    assert services == {
        "validated": "order",
        "stock_reserved": "inventory",
        "payment_charged": "payment",
        "shipment_created": "fulfillment",
        "customer_notified": "notification",
        "confirmed": "order",
    }


def test_a_failing_payment_service_is_retried_by_the_mesh_as_the_policy_says(
    stack, shop, units, baseline_afterwards
):
    before = requests_seen(units["distributed-payment"], "POST", "/payments")
    assert stack.shopdemo("fault", "payment", "--failure-rate", "1").returncode == 0
    placed = place(shop, order_body())
    assert placed.http_status == 502 and placed.order["status"] == "FAILED"
    # Baseline: retries.attempts 3 on 5xx, so 1 + 3 tries, and the service saw each one.
    assert requests_seen(units["distributed-payment"], "POST", "/payments") - before == 4
    steps = [entry["step"] for entry in placed.order["timeline"]]
    assert "stock_released" in steps and steps[-1] == "failed"


def test_an_injected_abort_is_answered_by_the_mesh_and_not_retried(
    stack, shop, units, baseline_afterwards
):
    before = requests_seen(units["distributed-payment"], "POST", "/payments")
    applied = stack.shopdemo("mesh", "apply", str(SCENARIOS / "virtual-service-payment-abort.yaml"))
    assert applied.returncode == 0, applied.stderr
    placed = place(shop, order_body())
    assert placed.order["status"] == "FAILED"
    assert "fault filter abort" in placed.order["reason"]
    # Istio enables no retries on a route with a fault: the payment service saw nothing.
    assert requests_seen(units["distributed-payment"], "POST", "/payments") == before


def test_a_payment_slower_than_the_per_try_timeout_is_charged_more_than_once(
    stack, shop, units, baseline_afterwards, tmp_path
):
    policy = tmp_path / "virtual-service-payment-impatient.yaml"
    policy.write_text(
        """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: payment
spec:
  hosts: [payment]
  http:
  - route:
    - destination: {host: payment, port: {number: 8080}}
    retries: {attempts: 2, perTryTimeout: 400ms, retryOn: "5xx,gateway-error,reset"}
"""
    )
    assert stack.shopdemo("mesh", "apply", str(policy)).returncode == 0
    assert stack.shopdemo("fault", "payment", "--latency-ms", "700").returncode == 0
    placed = place(shop, order_body())
    assert placed.order["status"] == "FAILED"
    time.sleep(1.0)  # the last try is still charging after the mesh gave up on it
    payments = httpx.get(
        f"{units['distributed-payment']}/payments", params={"order_id": placed.order["id"]}
    ).json()
    captured = [p for p in payments if p["status"] == "CAPTURED"]
    assert len(captured) == 3, payments  # one per try: a real double (triple) charge
    timeline = shop.get(f"/orders/{placed.order['id']}").json()["timeline"]
    assert [entry["step"] for entry in timeline].count("payment_charged") == 3


def test_a_crash_between_saving_the_order_and_calling_inventory_leaves_it_pending(
    stack, shop, units, baseline_afterwards
):
    delay = SCENARIOS / "virtual-service-inventory-delay.yaml"
    assert stack.shopdemo("mesh", "apply", str(delay)).returncode == 0
    with httpx.Client(base_url=stack.variants["distributed"], timeout=1.0) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.post("/orders", json=order_body(customer="crash-victim"))
    assert stack.shopdemo("kill", "distributed-order").returncode == 0
    assert stack.shopdemo("mesh", "reset").returncode == 0
    restarted = stack.shopdemo("up", "--variant", "distributed")
    assert restarted.returncode == 0, restarted.stderr
    orders = pending_orders(stack, "crash-victim")
    assert len(orders) == 1
    time.sleep(1.0)
    view = shop.get(f"/orders/{orders[0]}").json()
    assert view["status"] == "PENDING"  # nothing will ever settle it
    assert [entry["step"] for entry in view["timeline"]][0] == "validated"
    assert view["payment"] is None and view["shipment"] is None


def pending_orders(stack, customer: str) -> list[str]:
    rows = query(
        stack,
        "dist_order",
        "SELECT id FROM orders WHERE customer_id = %s AND status = 'PENDING'",
        customer,
    )
    return [str(row["id"]) for row in rows]
