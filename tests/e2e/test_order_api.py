"""The one end-to-end suite every variant must pass, against a stack started with `shopdemo up`."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from shop.catalog import CATALOG
from shopdemo.units import VARIANTS
from tests.e2e.client import order_body, place, stock

pytestmark = pytest.mark.e2e


@pytest.fixture(params=list(VARIANTS))
def client(request, stack):
    if request.param not in stack.variants:
        pytest.fail(f"{request.param} is not running: {stack.variants}")
    with httpx.Client(base_url=stack.variants[request.param], timeout=30) as client:
        yield client


def answered(placed, expected_http):
    """Synchronous variants answer with the final code; the event-driven one with 202."""
    return placed.http_status in (expected_http, 202)


def test_the_catalog_lists_every_seeded_product_with_integer_prices(client):
    products = {p["sku"]: p for p in client.get("/products").json()}
    assert set(products) == {p.sku for p in CATALOG}
    for product in CATALOG:
        assert products[product.sku]["price_cents"] == product.price_cents
        assert isinstance(products[product.sku]["stock"], int)


def test_a_good_order_is_confirmed_charged_shipped_and_its_timeline_is_shown(client):
    before = stock(client)["TSHIRT-BLK-M"]
    body = order_body(
        [{"sku": "TSHIRT-BLK-M", "quantity": 2}, {"sku": "STICKER-PACK", "quantity": 1}]
    )
    placed = place(client, body)
    assert answered(placed, 201), placed.response.text
    order = client.get(f"/orders/{placed.order['id']}").json()
    assert order["status"] == "CONFIRMED"
    assert order["total_cents"] == 2 * 1999 + 399
    assert order["payment"]["amount_cents"] == order["total_cents"]
    assert order["shipment"]["status"]
    steps = [entry["step"] for entry in order["timeline"]]
    for step in ("stock_reserved", "payment_charged", "shipment_created", "customer_notified"):
        assert step in steps
    times = [datetime.fromisoformat(entry["at"]) for entry in order["timeline"]]
    assert times == sorted(times)
    assert all(entry["service"] for entry in order["timeline"])
    assert stock(client)["TSHIRT-BLK-M"] == before - 2


def test_a_declined_card_is_refused_with_402_and_takes_no_stock(client):
    before = stock(client)["HOODIE-GRY-L"]
    placed = place(client, order_body([{"sku": "HOODIE-GRY-L", "quantity": 1}], "tok_declined"))
    assert answered(placed, 402), placed.response.text
    assert placed.order["status"] == "REJECTED"
    assert placed.order["shipment"] is None
    assert stock(client)["HOODIE-GRY-L"] == before


def test_more_than_the_stock_is_refused_with_409_and_no_charge(client):
    placed = place(client, order_body([{"sku": "SNEAKER-RARE", "quantity": 6}]))
    assert answered(placed, 409), placed.response.text
    assert placed.order["status"] == "REJECTED"
    assert placed.order["payment"] is None
    assert "SNEAKER-RARE" in placed.order["reason"]


def test_a_retry_with_the_same_idempotency_key_returns_the_first_order_and_creates_nothing(client):
    key = str(uuid.uuid4())
    body = order_body([{"sku": "SOCKS-STRIPE", "quantity": 3}])
    first = place(client, body, key)
    after_first = stock(client)["SOCKS-STRIPE"]
    again = client.post("/orders", json=body, headers={"Idempotency-Key": key})
    assert again.json().get("id", again.json().get("order", {}).get("id")) == first.order["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert stock(client)["SOCKS-STRIPE"] == after_first


def test_the_same_idempotency_key_with_another_body_is_refused(client):
    key = str(uuid.uuid4())
    place(client, order_body(), key)
    refused = client.post("/orders", json=order_body(), headers={"Idempotency-Key": key})
    assert refused.status_code == 422
    assert "different request" in refused.json()["detail"]


BAD_BODIES = {
    "unknown sku": order_body([{"sku": "NO-SUCH-THING", "quantity": 1}]),
    "quantity zero": order_body([{"sku": "BOOK-DDD", "quantity": 0}]),
    "negative quantity": order_body([{"sku": "BOOK-DDD", "quantity": -1}]),
    "huge quantity": order_body([{"sku": "BOOK-DDD", "quantity": 10**18}]),
    "fractional quantity": order_body([{"sku": "BOOK-DDD", "quantity": 1.5}]),
    "empty items": order_body([]) | {"items": []},
    "missing items": {"customer_id": "x", "payment_token": "tok_ok"},
    "too many lines": order_body([{"sku": "BOOK-DDD", "quantity": 1}] * 21),
    "huge customer id": order_body([{"sku": "BOOK-DDD", "quantity": 1}], customer="c" * 10_000),
    "not an object": ["BOOK-DDD"],
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_input_gets_a_clear_4xx_and_takes_no_stock(client, body):
    before = stock(client)
    response = client.post("/orders", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert 400 <= response.status_code < 500, response.text
    assert isinstance(response.json()["detail"], str) and len(response.json()["detail"]) > 10
    assert stock(client) == before


def test_malformed_json_and_a_wrong_content_type_get_clear_4xx(client):
    broken = client.post(
        "/orders", content=b'{"items": [', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]
    wrong = client.post("/orders", content=b"sku=BOOK-DDD", headers={"Content-Type": "text/plain"})
    assert wrong.status_code == 415 and "application/json" in wrong.json()["detail"]


def test_an_unknown_order_is_404_and_a_malformed_id_is_422(client):
    assert client.get(f"/orders/{uuid.uuid4()}").status_code == 404
    malformed = client.get("/orders/not-an-id")
    assert malformed.status_code == 422 and "UUID" in malformed.json()["detail"]


def test_health_readiness_metrics_and_api_docs_are_served(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json()["status"] == "ready"
    metrics = client.get("/metrics")
    assert "shop_http_requests_total" in metrics.text
    assert client.get("/docs").status_code == 200
    assert "/orders" in client.get("/openapi.json").json()["paths"]
