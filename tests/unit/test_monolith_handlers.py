import asyncio

import pytest

from monolith import handlers
from shop.errors import IdempotencyKeyReused, OrderNotFound
from shop.order_request import parse_order_request
from shop.payment_provider import PaymentFault, SimulatedCardProcessor
from shop.status import OrderStatus
from tests.unit.fake_monolith_store import FakeUnitOfWork, Store


@pytest.fixture
def store():
    return Store()


@pytest.fixture
def place(store):
    processor = SimulatedCardProcessor(seed=3)

    def run(token="tok_ok", items=None, key=None, customer="alice", fault=None):
        if fault is not None:
            processor.set_fault(fault)
        request = parse_order_request(
            {
                "customer_id": customer,
                "items": items or [{"sku": "MUG-LOGO", "quantity": 2}],
                "payment_token": token,
            }
        )
        return asyncio.run(
            handlers.place_order(lambda: FakeUnitOfWork(store), processor, request, key)
        )

    return run


def steps(view):
    return [entry.step for entry in view.timeline]


def test_a_good_order_is_confirmed_charged_shipped_and_notified(place, store):
    placed = place()
    view = placed.view
    assert view.status is OrderStatus.CONFIRMED
    assert view.payment.amount_cents == 2500 == view.total_cents
    assert store.stock["MUG-LOGO"] == 100_000 - 2
    assert view.id in store.shipments and len(store.notifications) == 1
    assert steps(view) == [
        "validated",
        "stock_reserved",
        "payment_charged",
        "shipment_created",
        "customer_notified",
        "confirmed",
    ]
    assert all(entry.service == "monolith" for entry in view.timeline)


def test_an_out_of_stock_order_is_rejected_without_charge_or_stock_taken(place, store):
    view = place(items=[{"sku": "SNEAKER-RARE", "quantity": 6}]).view
    assert (view.status, view.reason_code) == (OrderStatus.REJECTED, "out_of_stock")
    assert store.stock["SNEAKER-RARE"] == 5
    assert not store.payments and not store.shipments
    assert store.orders[view.id].status is OrderStatus.REJECTED
    assert steps(view)[-2:] == ["stock_rejected", "rejected"]


def test_a_declined_card_rejects_the_order_and_takes_no_stock(place, store):
    view = place(token="tok_declined").view
    assert (view.status, view.reason_code) == (OrderStatus.REJECTED, "payment_declined")
    assert store.stock["MUG-LOGO"] == 100_000
    assert not store.payments and not store.shipments and not store.notifications


def test_a_processor_failure_fails_the_order_and_leaves_no_effect(place, store):
    view = place(fault=PaymentFault(failure_rate=1.0)).view
    assert (view.status, view.reason_code) == (OrderStatus.FAILED, "payment_provider_error")
    assert store.stock["MUG-LOGO"] == 100_000 and not store.payments


def test_a_retry_with_the_same_key_returns_the_first_order_and_creates_nothing(place, store):
    first = place(key="k-1")
    again = place(key="k-1")
    assert again.replayed and again.view.id == first.view.id
    assert len(store.orders) == 1 and store.stock["MUG-LOGO"] == 100_000 - 2


def test_the_same_key_with_another_body_is_refused(place, store):
    place(key="k-2")
    with pytest.raises(IdempotencyKeyReused, match="different request"):
        place(key="k-2", customer="bob")
    assert len(store.orders) == 1


def test_an_unknown_order_is_not_found(store):
    import uuid

    with pytest.raises(OrderNotFound):
        asyncio.run(handlers.get_order(lambda: FakeUnitOfWork(store), uuid.uuid4()))
