"""Creating the monolith's tables and seeding the catalog at start-up, safely repeatable."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from monolith.tables import metadata, products
from service_kit.schema import prepare_schema
from shop.catalog import CATALOG


async def _seed_catalog(connection: AsyncConnection) -> None:
    # Seed once: a restart must not reset stock that orders have taken.
    await connection.execute(
        insert(products)
        .values(
            [
                {
                    "sku": p.sku,
                    "name": p.name,
                    "price_cents": p.price_cents,
                    "stock": p.initial_stock,
                }
                for p in CATALOG
            ]
        )
        .on_conflict_do_nothing(index_elements=["sku"])
    )


async def prepare_database(database_url: str) -> None:
    await prepare_schema(database_url, metadata, _seed_catalog)
