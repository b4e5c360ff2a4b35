"""Creating the inventory tables and seeding the catalog, safely repeatable."""

from __future__ import annotations

from event_driven.inventory.tables import metadata, products
from service_kit.schema import prepare_schema, seed_catalog


async def prepare_database(database_url: str) -> None:
    await prepare_schema(database_url, metadata, seed_catalog(products))
