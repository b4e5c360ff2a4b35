"""Validating a raw order request into an OrderRequest, before anything is written.

Every rule here produces an InvalidRequest whose message says what to change,
because the same messages reach a person through every variant's API.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from shop.catalog import CATALOG, find_product
from shop.errors import InvalidRequest

MAX_LINES = 20
MAX_QUANTITY = 100
MAX_CUSTOMER_ID_LENGTH = 64
MAX_TOKEN_LENGTH = 64
MAX_IDEMPOTENCY_KEY_LENGTH = 255

_FIELDS = ("customer_id", "items", "payment_token")
_LINE_FIELDS = ("sku", "quantity")
_CUSTOMER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_]+$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True)
class RequestedLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderRequest:
    customer_id: str
    lines: tuple[RequestedLine, ...]
    payment_token: str

    def fingerprint(self) -> str:
        """A digest of what was asked for, to tell a retry from a different request."""
        canonical = json.dumps(
            {
                "customer_id": self.customer_id,
                "items": [[line.sku, line.quantity] for line in self.lines],
                "payment_token": self.payment_token,
            },
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_order_request(raw: Any) -> OrderRequest:
    """Turn decoded JSON into an OrderRequest or raise InvalidRequest naming the problem."""
    if not isinstance(raw, dict):
        raise InvalidRequest(
            "the body must be a JSON object with customer_id, items and payment_token"
        )
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(_FIELDS)}",
            field=unknown[0],
        )
    for name in _FIELDS:
        if name not in raw:
            raise InvalidRequest(f"{name} is required", field=name)
    return OrderRequest(
        customer_id=_customer_id(raw["customer_id"]),
        lines=parse_lines(raw["items"]),
        payment_token=_payment_token(raw["payment_token"]),
    )


def _customer_id(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest("customer_id must be a non-empty string", field="customer_id")
    if len(value) > MAX_CUSTOMER_ID_LENGTH:
        raise InvalidRequest(
            f"customer_id is {len(value)} characters long; at most "
            f"{MAX_CUSTOMER_ID_LENGTH} are allowed",
            field="customer_id",
        )
    if not _CUSTOMER_ID.match(value):
        raise InvalidRequest(
            "customer_id may contain only letters, digits and _ . @ : - "
            "and must start with a letter or digit",
            field="customer_id",
        )
    return value


def _payment_token(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(
            "payment_token must be a non-empty string such as tok_ok", field="payment_token"
        )
    if len(value) > MAX_TOKEN_LENGTH or not _TOKEN.match(value):
        raise InvalidRequest(
            f"payment_token must be at most {MAX_TOKEN_LENGTH} letters, digits or _ "
            "(for example tok_ok or tok_declined)",
            field="payment_token",
        )
    return value


def parse_lines(value: Any) -> tuple[RequestedLine, ...]:
    """The items of an order: also what services pass each other in the distributed variant."""
    if not isinstance(value, list):
        raise InvalidRequest(
            'items must be a list such as [{"sku": "MUG-LOGO", "quantity": 1}]', field="items"
        )
    if not value:
        raise InvalidRequest("items is empty; an order needs at least one item", field="items")
    if len(value) > MAX_LINES:
        raise InvalidRequest(
            f"items has {len(value)} lines; at most {MAX_LINES} are allowed, so split the order",
            field="items",
        )
    lines: list[RequestedLine] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        line = _line(index, item)
        if line.sku in seen:
            raise InvalidRequest(
                f"items[{index}]: {line.sku} appears more than once; "
                "put its total quantity on one line",
                field=f"items[{index}].sku",
            )
        seen.add(line.sku)
        lines.append(line)
    return tuple(lines)


def _line(index: int, item: Any) -> RequestedLine:
    where = f"items[{index}]"
    if not isinstance(item, dict):
        raise InvalidRequest(f"{where} must be an object with sku and quantity", field=where)
    unknown = sorted(set(item) - set(_LINE_FIELDS))
    if unknown:
        raise InvalidRequest(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: sku, quantity",
            field=f"{where}.{unknown[0]}",
        )
    sku, quantity = item.get("sku"), item.get("quantity")
    if not isinstance(sku, str) or not sku:
        raise InvalidRequest(f"{where}.sku is required and must be a string", field=f"{where}.sku")
    if find_product(sku) is None:
        known = ", ".join(p.sku for p in CATALOG)
        raise InvalidRequest(
            f"{where}.sku {sku[:40]!r} is not in the catalog; known SKUs: {known}",
            field=f"{where}.sku",
        )
    # bool is an int in Python and 2.0 is a float in JSON: neither is a quantity.
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidRequest(
            f"{where}.quantity is required and must be a whole number from 1 to {MAX_QUANTITY}",
            field=f"{where}.quantity",
        )
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidRequest(
            f"{where}.quantity is {quantity}; it must be from 1 to {MAX_QUANTITY}",
            field=f"{where}.quantity",
        )
    return RequestedLine(sku=sku, quantity=quantity)


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidRequest(
            f"{field.replace('_', ' ')} {value[:60]!r} is not a valid id; ids are UUIDs such as "
            "0b6e4d1c-9f3a-4a57-9c1e-2d1f6f0c8a11",
            field=field,
        ) from None


def parse_order_id(value: str) -> uuid.UUID:
    return parse_uuid(value, "order_id")


def parse_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not value or len(value) > MAX_IDEMPOTENCY_KEY_LENGTH or not _IDEMPOTENCY_KEY.match(value):
        raise InvalidRequest(
            f"the Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} "
            "visible ASCII characters (a UUID is a good choice)",
            field="Idempotency-Key",
        )
    return value
