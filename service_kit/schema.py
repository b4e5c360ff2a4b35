"""Creating a unit's tables and seeding them at start-up, safely repeatable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

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
