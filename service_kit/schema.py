"""Creating a unit's tables and seeding them at start-up, safely repeatable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import MetaData, Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from shop.catalog import CATALOG

Seed = Callable[[AsyncConnection], Awaitable[None]]

# Any constant works: it only serialises concurrent start-ups of one unit's database.
_SCHEMA_LOCK = 0x5E0_0001


async def prepare_schema(database_url: str, metadata: MetaData, seed: Seed | None = None) -> None:
    """Idempotent: safe on every start, and when several copies start at once.

    A seed must not overwrite data: a restart must not reset what orders changed.
    """
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK}
            )
            await connection.run_sync(metadata.create_all)
            if seed is not None:
                await seed(connection)
    finally:
        await engine.dispose()


def seed_catalog(products: Table) -> Seed:
    """A seed that inserts the shared catalog into a unit's products table, once."""

    async def seed(connection: AsyncConnection) -> None:
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

    return seed
