"""Creating the fulfillment table, safely repeatable."""

from __future__ import annotations

from event_driven.fulfillment.tables import metadata
from service_kit.schema import prepare_schema


async def prepare_database(database_url: str) -> None:
    await prepare_schema(database_url, metadata)
