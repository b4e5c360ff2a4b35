"""Creating the monolith's tables and seeding the catalog at start-up, safely repeatable."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from monolith.tables import metadata, products
from shop.catalog import CATALOG

# Any constant works: it only serialises concurrent start-ups of this unit.
_SCHEMA_LOCK = 0x5E0_0001


async def prepare_database(database_url: str) -> None:
    """Idempotent: safe on every start, and when several start at once."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        await _create_and_seed(engine)
    finally:
        await engine.dispose()


async def _create_and_seed(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        await connection.run_sync(metadata.create_all)
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
