"""The seeded catalog: the same products, prices and starting stock in every variant.

Prices are integer cents. A few items are scarce on purpose, so that
out-of-stock rejections and oversell races happen under ordinary load.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int
    initial_stock: int

    @property
    def scarce(self) -> bool:
        return self.initial_stock <= SCARCE_STOCK_LIMIT


# Items at or below this starting stock are the "scarce" ones the demos rely on.
SCARCE_STOCK_LIMIT = 50

CATALOG: tuple[Product, ...] = (
    Product("TSHIRT-BLK-M", "Black T-shirt (M)", 1999, 100_000),
    Product("MUG-LOGO", "Logo mug", 1250, 100_000),
    Product("HOODIE-GRY-L", "Grey hoodie (L)", 4999, 100_000),
    Product("STICKER-PACK", "Sticker pack", 399, 1_000_000),
    Product("SOCKS-STRIPE", "Striped socks", 899, 100_000),
    Product("BOOK-DDD", "Domain-Driven Design (book)", 5400, 100_000),
    Product("KEYBOARD-LTD", "Limited-edition keyboard", 18900, 25),
    Product("SNEAKER-RARE", "Rare sneakers", 24900, 5),
)

PRODUCTS_BY_SKU: dict[str, Product] = {p.sku: p for p in CATALOG}


def find_product(sku: str) -> Product | None:
    return PRODUCTS_BY_SKU.get(sku)
