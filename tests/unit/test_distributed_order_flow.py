"""The order service's flow and hand-written compensation, with peers faked by
httpx.MockTransport and the database by an in-memory repository."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from distributed.order.handlers import OrderFlow
from distributed.order.peers import Peers
from shop.errors import OrderInProgress
from shop.order_request import parse_order_request
from shop.status import OrderStatus

URLS = {name: f"http://{name}" for name in ("inventory", "payment", "fulfillment", "notification")}


class FakeOrders:
    def __init__(self):
        self.orders, self.steps, self.lines = {}, [], {}

    async def claim(self, order, lines):
        if order["idempotency_key"] and any(
            o["idempotency_key"] == order["idempotency_key"] for o in self.orders.values()
        ):
            return False
        self.orders[order["id"]] = dict(order)
        self.lines[order["id"]] = lines
        return True

    async def add_step(self, order_id, step, detail, at):
        self.steps.append((order_id, str(step), detail))

    async def finish(self, order_id, outcome):
        self.orders[order_id].update(outcome)

    async def get_by_key(self, key):
        return next((o for o in self.orders.values() if o["idempotency_key"] == key), None)


class FakeUnitOfWork:
    def __init__(self, repository):
        self.repository = repository

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        return None

    async def commit(self):
        return None

    async def rollback(self):
        return None


def answer(status, body):
    return httpx.Response(status, json=body)


def record(order_id, **extra):
    return {
        "id": str(uuid.uuid4()),
        "order_id": order_id,
        "created_at": datetime.now(UTC).isoformat(),
        **extra,
    }


class Peers_:
    """Scripted peers: each (method, path prefix) answers as told, and every call is logged."""

    def __init__(self, **overrides):
        self.calls = []
        self.overrides = overrides

    def handle(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.host}{request.url.path}"
        self.calls.append(key)
        body = json.loads(request.content) if request.content else {}
        for prefix, response in self.overrides.items():
            if key.startswith(prefix.replace("_", " ", 1)):
                if isinstance(response, Exception):
                    raise response
                return response
        order_id = body.get("order_id")
        if key == "POST inventory/reservations":
            return answer(201, record(order_id, status="RESERVED", released_at=None))
        if key.endswith("/release"):
            return answer(
                200, record(order_id, status="RELEASED", released_at=datetime.now(UTC).isoformat())
            )
        if key == "POST payment/payments":
            return answer(
                201,
                record(
                    order_id,
                    status="CAPTURED",
                    amount_cents=body["amount_cents"],
                    provider_reference="ch_x",
                    reason=None,
                    refunded_at=None,
                ),
            )
        if key.endswith("/refund"):
            return answer(
                200,
                record(
                    order_id,
                    status="REFUNDED",
                    amount_cents=1,
                    provider_reference="ch_x",
                    reason=None,
                    refunded_at=datetime.now(UTC).isoformat(),
                ),
            )
        if key == "POST fulfillment/shipments":
            return answer(201, record(order_id, status="CREATED", cancelled_at=None))
        if key == "POST notification/notifications":
            return answer(201, record(order_id, customer_id="c", channel="email", message="m"))
        raise AssertionError(f"unexpected call {key}")


def run(peers: Peers_, token="tok_ok", key=None):
    repository = FakeOrders()

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(peers.handle)) as client:
            flow = OrderFlow(lambda: FakeUnitOfWork(repository), Peers(client, URLS))
            request = parse_order_request(
                {
                    "customer_id": "c",
                    "items": [{"sku": "MUG-LOGO", "quantity": 1}],
                    "payment_token": token,
                }
            )
            return await flow.place(request, key)

    return asyncio.run(go()), repository


def steps(placed):
    return [entry.step for entry in placed.view.timeline]


def test_a_good_order_calls_every_service_once_in_turn_and_is_confirmed():
    peers = Peers_()
    placed, repository = run(peers)
    assert placed.view.status is OrderStatus.CONFIRMED
    assert peers.calls == [
        "POST inventory/reservations",
        "POST payment/payments",
        "POST fulfillment/shipments",
        "POST notification/notifications",
    ]
    assert next(iter(repository.orders.values()))["status"] == "CONFIRMED"


def test_out_of_stock_rejects_the_order_without_any_compensation():
    peers = Peers_(POST_inventory=answer(409, {"detail": "only 0 of MUG-LOGO in stock"}))
    placed, _ = run(peers)
    assert (placed.view.status, placed.view.reason_code) == (OrderStatus.REJECTED, "out_of_stock")
    assert peers.calls == ["POST inventory/reservations"]


def test_a_declined_card_releases_the_stock_and_rejects_the_order():
    peers = Peers_(POST_payment=answer(402, {"detail": "the card was declined"}))
    placed, _ = run(peers)
    assert placed.view.reason_code == "payment_declined"
    assert peers.calls[-1].endswith("/release")


def test_a_failed_shipment_refunds_releases_and_fails_the_order():
    peers = Peers_(**{"POST_fulfillment": answer(503, {"detail": "down"})})
    placed, _ = run(peers)
    assert placed.view.status is OrderStatus.FAILED
    assert peers.calls[-2].endswith("/refund") and peers.calls[-1].endswith("/release")
    assert "payment_refunded" in steps(placed) and "stock_released" in steps(placed)


def test_a_compensation_that_fails_is_recorded_and_the_order_still_fails():
    peers = Peers_(
        POST_fulfillment=httpx.ConnectError("refused"),
        **{"POST_inventory/reservations/": answer(503, {"detail": "inventory down"})},
    )
    placed, repository = run(peers)
    assert placed.view.status is OrderStatus.FAILED
    failed = [detail for _, step, detail in repository.steps if step == "compensation_failed"]
    assert len(failed) == 1 and failed[0].startswith("release stock")
    assert "payment_refunded" in steps(placed)


def test_a_failed_notification_still_confirms_the_order_and_says_so():
    peers = Peers_(POST_notification=answer(500, {"detail": "smtp down"}))
    placed, _ = run(peers)
    assert placed.view.status is OrderStatus.CONFIRMED
    assert "notification_failed" in steps(placed)


def test_a_timeout_of_inventory_fails_the_order_without_knowing_what_inventory_did():
    peers = Peers_(POST_inventory=httpx.ReadTimeout("slow"))
    placed, _ = run(peers)
    assert (placed.view.status, placed.view.reason_code) == (
        OrderStatus.FAILED,
        "dependency_failed",
    )
    assert "inventory" in placed.view.reason


def test_a_retry_while_the_first_request_still_runs_is_refused_and_calls_nothing():
    peers = Peers_()
    repository = FakeOrders()

    async def twice():
        async with httpx.AsyncClient(transport=httpx.MockTransport(peers.handle)) as client:
            flow = OrderFlow(lambda: FakeUnitOfWork(repository), Peers(client, URLS))
            body = {"customer_id": "c", "items": [{"sku": "MUG-LOGO", "quantity": 1}]}
            request = parse_order_request(body | {"payment_token": "tok_ok"})
            await flow.place(request, "k")
            # As if the first request were still between its steps.
            next(iter(repository.orders.values()))["status"] = "PENDING"
            return await flow.place(request, "k")

    with pytest.raises(OrderInProgress):
        asyncio.run(twice())
    assert len(peers.calls) == 4
