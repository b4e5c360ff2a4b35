import pytest

from shop.errors import InvalidRequest
from shop.order_request import (
    MAX_LINES,
    parse_idempotency_key,
    parse_order_id,
    parse_order_request,
)
from shop.pricing import price


def order(**overrides):
    body = {
        "customer_id": "alice",
        "items": [{"sku": "MUG-LOGO", "quantity": 2}],
        "payment_token": "tok_ok",
    }
    body.update(overrides)
    return body


def test_a_well_formed_order_is_parsed_into_lines():
    request = parse_order_request(order())
    assert request.customer_id == "alice"
    assert [(line.sku, line.quantity) for line in request.lines] == [("MUG-LOGO", 2)]


def test_prices_come_from_the_catalog_in_integer_cents():
    request = parse_order_request(
        order(items=[{"sku": "MUG-LOGO", "quantity": 2}, {"sku": "STICKER-PACK", "quantity": 3}])
    )
    priced = price(request.lines)
    assert priced.total_cents == 2 * 1250 + 3 * 399
    assert all(isinstance(line.unit_price_cents, int) for line in priced.lines)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ([], None, "JSON object"),
        ("alice", None, "JSON object"),
        ({"items": [], "payment_token": "tok_ok"}, "customer_id", "required"),
        (order(items=[]), "items", "at least one item"),
        (order(items="MUG-LOGO"), "items", "must be a list"),
        (order(items=[{"sku": "NOPE", "quantity": 1}]), "items[0].sku", "not in the catalog"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": 0}]), "items[0].quantity", "from 1 to 100"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": -3}]), "items[0].quantity", "from 1"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": 10**12}]), "items[0].quantity", "from 1"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": 1.5}]), "items[0].quantity", "whole number"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": "2"}]), "items[0].quantity", "whole number"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": True}]), "items[0].quantity", "whole number"),
        (order(items=[{"sku": "MUG-LOGO"}]), "items[0].quantity", "required"),
        (order(items=[{"quantity": 1}]), "items[0].sku", "required"),
        (order(items=[{"sku": "MUG-LOGO", "quantity": 1, "qty": 2}]), "items[0].qty", "unknown"),
        (
            order(items=[{"sku": "MUG-LOGO", "quantity": 1}, {"sku": "MUG-LOGO", "quantity": 1}]),
            "items[1].sku",
            "more than once",
        ),
        (order(customer_id="x" * 65), "customer_id", "at most 64"),
        (order(customer_id=""), "customer_id", "non-empty"),
        (order(customer_id="bob; drop table"), "customer_id", "may contain only"),
        (order(customer_id=42), "customer_id", "non-empty string"),
        (order(payment_token=""), "payment_token", "non-empty"),
        (order(payment_token="tok ok"), "payment_token", "letters, digits"),
        (order(coupon="FREE"), "coupon", "unknown field"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(body, field, words):
    with pytest.raises(InvalidRequest) as refused:
        parse_order_request(body)
    assert refused.value.field == field
    assert words in refused.value.message


def test_too_many_lines_are_refused_with_the_limit_in_the_message():
    skus = ["TSHIRT-BLK-M", "MUG-LOGO", "HOODIE-GRY-L", "STICKER-PACK", "SOCKS-STRIPE"]
    lines = [{"sku": skus[i % len(skus)], "quantity": 1} for i in range(MAX_LINES + 1)]
    with pytest.raises(InvalidRequest, match=f"at most {MAX_LINES}"):
        parse_order_request(order(items=lines))


def test_the_same_request_has_the_same_fingerprint_and_a_different_one_does_not():
    first = parse_order_request(order()).fingerprint()
    assert parse_order_request(order()).fingerprint() == first
    assert parse_order_request(order(customer_id="bob")).fingerprint() != first


def test_an_order_id_must_be_a_uuid():
    assert str(parse_order_id("0b6e4d1c-9f3a-4a57-9c1e-2d1f6f0c8a11")).startswith("0b6e4d1c")
    with pytest.raises(InvalidRequest, match="UUID"):
        parse_order_id("42")


@pytest.mark.parametrize("key", ["", "a" * 256, "with space", "ünïcode"])
def test_a_malformed_idempotency_key_is_refused(key):
    with pytest.raises(InvalidRequest, match="Idempotency-Key"):
        parse_idempotency_key(key)


def test_a_missing_idempotency_key_is_allowed():
    assert parse_idempotency_key(None) is None
    assert parse_idempotency_key("3f1c-retry-1") == "3f1c-retry-1"
