"""The workshop's traffic mix: what a crowd of shoppers does, the same for every variant.

Mostly good orders, some declined cards, some orders for the scarce items,
and browsing. Every customer id is unique and every order carries its own
Idempotency-Key, as a well-behaved client's would.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from shop.catalog import CATALOG

PLENTIFUL = [p.sku for p in CATALOG if not p.scarce]
SCARCE = [p.sku for p in CATALOG if p.scarce]

# Relative weights of what a shopper does next.
WEIGHTS = {
    "browse": 3,
    "good_order": 10,
    "declined_card": 1,
    "scarce_item": 1,
    "look_up_order": 1,
}


def good_order(chooser: random.Random) -> dict[str, Any]:
    skus = chooser.sample(PLENTIFUL, chooser.randint(1, 3))
    return _order([(sku, chooser.randint(1, 3)) for sku in skus], "tok_ok")


def declined_card(chooser: random.Random) -> dict[str, Any]:
    return _order([(chooser.choice(PLENTIFUL), 1)], "tok_declined")


def scarce_item(chooser: random.Random) -> dict[str, Any]:
    return _order([(chooser.choice(SCARCE), 1)], "tok_ok")


def idempotency_key() -> str:
    return str(uuid.uuid4())


def _order(lines: list[tuple[str, int]], token: str) -> dict[str, Any]:
    return {
        "customer_id": f"shopper-{uuid.uuid4().hex[:12]}",
        "items": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "payment_token": token,
    }
