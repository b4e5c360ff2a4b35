"""Running a service's outbox relay and its idempotent consumer alongside its HTTP API.

kafka-python is synchronous, so the relay and the consumer run in their own
threads with synchronous psycopg connections; the HTTP API stays async. The
two never share a connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

from service_kit.events.consumer import Consumer, Handler
from service_kit.events.relay import Relay
from service_kit.sql import psycopg_conninfo

# How long a fetch waits for new messages. Tansu answers an empty fetch only when this runs
# out, so it bounds each hop of the saga; shorter costs idle CPU (a few % of a core each).
FETCH_MAX_WAIT_MS = 50


@dataclass(frozen=True)
class EventWorker:
    relay: Relay
    consumer: Consumer

    def running(self) -> AbstractAsyncContextManager[None]:
        return _running(self)

    def ready(self) -> bool:
        return self.consumer.ready


def event_worker(
    unit: str,
    database_url: str,
    bootstrap_servers: str,
    topics: Iterable[str],
    handler: Handler,
) -> EventWorker:
    conninfo = psycopg_conninfo(database_url)
    return EventWorker(
        relay=Relay(
            conninfo=conninfo, bootstrap_servers=bootstrap_servers, client_id=f"{unit}-relay"
        ),
        consumer=Consumer(
            conninfo=conninfo,
            bootstrap_servers=bootstrap_servers,
            group_id=f"event-driven-{unit}",
            topics=topics,
            handler=handler,
            client_id=f"{unit}-consumer",
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        ),
    )


@asynccontextmanager
async def _running(worker: EventWorker) -> AsyncIterator[None]:
    worker.relay.start()
    worker.consumer.start()
    try:
        yield
    finally:
        # Stopping joins threads: keep the event loop free while they finish.
        await asyncio.to_thread(worker.consumer.stop)
        await asyncio.to_thread(worker.relay.stop)
