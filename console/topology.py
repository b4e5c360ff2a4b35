"""Which units make up each configured variant, and which of them the console asks what.

The shape comes from the launcher's list (`shopdemo.units`): the same names compose
uses. Only the URLs come from the settings, so a unit without a URL is simply not
watched.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.config import Settings
from shopdemo.units import VARIANTS

# The unit that answers POST /orders and counts it in its /metrics.
ORDER_UNIT = {
    "monolith": "monolith",
    "distributed": "distributed-order",
    "event_driven": "event-driven-order",
}
# The database that keeps the stock (the audit reads it the same way).
STOCK_DATABASE = {
    "monolith": "monolith",
    "distributed": "dist_inventory",
    "event_driven": "ev_inventory",
}
MESH_UNIT = "mesh"


@dataclass(frozen=True)
class Column:
    variant: str
    base_url: str
    units: dict[str, str]  # unit name -> base URL, in the launcher's order
    order_unit: str
    payment_unit: str
    order_database: str
    stock_database: str
    databases: tuple[str, ...]  # every unit database of the variant

    @property
    def mesh_url(self) -> str | None:
        return self.units.get(MESH_UNIT)


def columns(settings: Settings) -> list[Column]:
    """One column per configured variant, in the launcher's order of variants."""
    result = []
    for name, variant in VARIANTS.items():
        if name not in settings.variants:
            continue
        order_unit = next(unit for unit in variant.units if unit.name == ORDER_UNIT[name])
        payment_unit = next(unit for unit in variant.units if unit.payment_processor)
        assert order_unit.database is not None
        result.append(
            Column(
                variant=name,
                base_url=settings.variants[name],
                units={
                    unit.name: settings.units[unit.name]
                    for unit in variant.units
                    if unit.name in settings.units
                },
                order_unit=order_unit.name,
                payment_unit=payment_unit.name,
                order_database=order_unit.database,
                stock_database=STOCK_DATABASE[name],
                databases=tuple(unit.database for unit in variant.units if unit.database),
            )
        )
    return result


def variant_of_unit(unit_name: str) -> str | None:
    for name, variant in VARIANTS.items():
        if any(unit.name == unit_name for unit in variant.units):
            return name
    return None
