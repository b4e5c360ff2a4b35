"""The workshop console's JSON API against a stack that `shopdemo up` started, console included."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from shopdemo.units import VARIANTS

pytestmark = pytest.mark.e2e

GOOD_ORDER = {"items": [{"sku": "MUG-LOGO", "quantity": 2}], "payment_token": "tok_ok"}


@pytest.fixture
def console(stack):
    assert stack.console, "shopdemo up did not start the console"
    with httpx.Client(base_url=stack.console, timeout=60) as client:
        yield client


def columns(console: httpx.Client) -> dict[str, dict]:
    return {c["variant"]: c for c in console.get("/api/state").json()["columns"] if c["running"]}


def test_status_json_lists_the_console_and_it_shows_every_variant_with_healthy_units(
    stack, console
):
    assert json.loads(stack.shopdemo("status", "--json").stdout)["console"] == stack.console
    shown = columns(console)
    assert set(shown) == set(VARIANTS)
    for name, column in shown.items():
        assert [u["name"] for u in column["units"]] == [u.name for u in VARIANTS[name].units]
        assert {u["health"] for u in column["units"]} == {"ready"}
        assert column["payment_fault"] == {"latency_ms": 0, "failure_rate": 0.0}
        assert column["stock"]["SNEAKER-RARE"] is not None
    assert "attempts_per_order" in shown["distributed"]["mesh"]
    assert shown["event_driven"]["unpublished_events"] >= 0


def test_one_order_placed_on_every_variant_is_confirmed_everywhere_and_counted(console):
    before = {v: c["orders"]["by_status"].get("CONFIRMED", 0) for v, c in columns(console).items()}
    placed = console.post("/api/orders", json={"variants": "all", "order": GOOD_ORDER})
    assert placed.status_code == 200, placed.text
    results = {r["variant"]: r for r in placed.json()["results"]}
    assert {v: r["status"] for v, r in results.items()} == {v: "CONFIRMED" for v in VARIANTS}
    assert results["event_driven"]["http_status"] == 202
    assert results["event_driven"]["final_ms"] >= results["event_driven"]["ack_ms"]
    after = {v: c["orders"]["by_status"].get("CONFIRMED", 0) for v, c in columns(console).items()}
    assert all(after[v] >= before[v] + 1 for v in VARIANTS)


def test_a_bad_order_is_refused_once_with_the_domains_message_and_reaches_no_variant(console):
    before = {v: sum(c["orders"]["by_status"].values()) for v, c in columns(console).items()}
    bad = {**GOOD_ORDER, "items": [{"sku": "MUG-LOGO", "quantity": 0}]}
    refused = console.post("/api/orders", json={"variants": "all", "order": bad})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "items[0].quantity is 0; it must be from 1 to 100"
    assert {
        v: sum(c["orders"]["by_status"].values()) for v, c in columns(console).items()
    } == before


def test_an_orders_timeline_shows_each_service_and_the_same_order_on_the_other_variants(console):
    placed = console.post("/api/orders", json={"variants": "all", "order": GOOD_ORDER}).json()
    ids = {r["variant"]: r["order_id"] for r in placed["results"]}
    opened = console.get(f"/api/orders/{ids['event_driven']}").json()
    order = opened["order"]
    assert order["variant"] == "event_driven" and order["status"] == "CONFIRMED"
    assert {"order", "inventory", "payment", "fulfillment", "notification"} <= set(
        order["services"]
    )
    assert order["pending_for_ms"] == order["placed_to_final_ms"] > 0
    assert {o["variant"]: o["id"] for o in opened["others"]} == {
        "monolith": ids["monolith"],
        "distributed": ids["distributed"],
    }
    unknown = console.get("/api/orders/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404


def test_a_payment_fault_reaches_every_variant_shows_in_each_column_and_clears(
    console, baseline_afterwards
):
    refused = console.put("/api/payment-fault", json={"latency_ms": 0, "failure_rate": 2})
    assert refused.status_code == 422 and "failure_rate" in refused.json()["detail"]
    assert console.put("/api/payment-fault", json={"failure_rate": 1.0}).status_code == 200
    shown = columns(console)
    assert {v: c["payment_fault"]["failure_rate"] for v, c in shown.items()} == {
        v: 1.0 for v in VARIANTS
    }
    placed = console.post("/api/orders", json={"variants": "all", "order": GOOD_ORDER}).json()
    assert {r["status"] for r in placed["results"]} == {"FAILED"}
    cleared = console.delete("/api/payment-fault")
    assert cleared.status_code == 200 and len(cleared.json()["done"]) == len(VARIANTS)


def test_a_killed_unit_shows_down_a_fault_then_changes_nothing_and_restart_brings_it_back(
    console, baseline_afterwards
):
    killed = console.post("/api/units/event-driven-payment/kill")
    assert killed.status_code == 200 and "SIGKILL" in killed.json()["done"]
    try:
        health = {u["name"]: u["health"] for u in columns(console)["event_driven"]["units"]}
        assert health["event-driven-payment"] == "down"
        refused = console.put("/api/payment-fault", json={"failure_rate": 0.5})
        assert refused.status_code == 502
        assert "nothing was changed" in refused.json()["detail"]
        assert columns(console)["monolith"]["payment_fault"]["failure_rate"] == 0
        again = console.post("/api/units/event-driven-payment/kill")
        assert again.status_code == 409
    finally:
        restarted = console.post("/api/units/event-driven-payment/restart")
    assert restarted.status_code == 200, restarted.text
    assert "event-driven-payment" in restarted.json()["done"]
    health = {u["name"]: u["health"] for u in columns(console)["event_driven"]["units"]}
    assert health["event-driven-payment"] == "ready"
    assert console.post("/api/units/postgres/kill").status_code == 422


def test_a_mesh_policy_applies_and_resets_and_an_unknown_file_is_refused(
    console, baseline_afterwards
):
    files = console.get("/api/mesh/policies").json()["files"]
    assert "scenarios/virtual-service-payment-abort.yaml" in files
    assert not any(f.startswith("kind/") for f in files)
    unknown = console.post("/api/mesh/apply", json={"file": "../pyproject.toml"})
    assert unknown.status_code == 422
    applied = console.post(
        "/api/mesh/apply", json={"file": "scenarios/virtual-service-payment-abort.yaml"}
    )
    assert applied.status_code == 200, applied.text
    placed = console.post("/api/orders", json={"variants": ["distributed"], "order": GOOD_ORDER})
    assert placed.json()["results"][0]["status"] == "FAILED"
    assert console.post("/api/mesh/reset").status_code == 200
    placed = console.post("/api/orders", json={"variants": ["distributed"], "order": GOOD_ORDER})
    assert placed.json()["results"][0]["status"] == "CONFIRMED"


def test_a_steady_load_runs_at_the_chosen_rate_until_stopped_and_one_at_a_time(console):
    assert console.post("/api/load", json={"rate_per_s": 0}).status_code == 422
    began = time.monotonic()
    started = console.post("/api/load", json={"rate_per_s": 4, "variants": ["monolith"]})
    assert started.status_code == 200, started.text
    try:
        again = console.post("/api/load", json={"rate_per_s": 4})
        assert again.status_code == 409 and "already running" in again.json()["detail"]
        time.sleep(3)
    finally:
        stopped = console.delete("/api/load")
        ended = time.monotonic()
    assert stopped.status_code == 200, stopped.text
    tally = stopped.json()["load"]["variants"]["monolith"]
    # 4 orders/s from start to stop: at least the 3 s slept, at most the whole span.
    assert 4 * 3 <= tally["sent"] <= 4 * (ended - began) + 1
    assert set(tally["answers"]) <= {"201", "402", "409"}
    assert console.delete("/api/load").status_code == 409
    live = columns(console)["monolith"]["live"]
    assert live["orders_per_s"] > 0 and live["ack_p95_ms"] > 0
