"""The outbox relay: publishes committed outbox rows to Kafka, marks them once acknowledged.

One round: in a transaction, lock the oldest unpublished rows (FOR UPDATE SKIP LOCKED, so that
two relays never hold the same row), send each to its topic keyed by order id, wait until the
broker acknowledged every one, mark those published, commit. A row that was not acknowledged
stays unpublished and is sent again after a back-off: nothing is dropped, nothing is marked early.

The price is at-least-once delivery: a relay that dies after the broker acknowledged and before
the marking commits sends the same rows again when it restarts. Consumers absorb that
(consumer.py); `crash_before_marking` reproduces the window for the tests.

The relay waits on PostgreSQL LISTEN: outbox.append() notifies in the writer's transaction, so
the relay wakes within milliseconds of a commit. It also looks every `poll_interval` seconds,
in case a notification was missed (say, while it was reconnecting).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from select import select as wait_until_readable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from sqlalchemy import all_, any_, bindparam, func, select, update

from service_kit.events.background import BackgroundLoop, Backoff
from service_kit.events.kafka_client import KafkaProducer, kafka, new_producer
from service_kit.events.outbox import DEFAULT_CHANNEL
from service_kit.events.tables import STATEMENT_TABLES
from service_kit.sql import compile_sql

log = logging.getLogger(__name__)

_outbox = STATEMENT_TABLES.outbox
_CLAIM = compile_sql(
    select(_outbox.c.id, _outbox.c.event_id, _outbox.c.topic, _outbox.c.key, _outbox.c.payload)
    .where(_outbox.c.published_at.is_(None))
    .order_by(_outbox.c.id)
    .limit(bindparam("batch_size"))
    .with_for_update(skip_locked=True)
)
# Unpublished rows of the claimed keys, older than the claimed ones, that this relay did not
# claim: another relay holds them, or they were committed after the claim's snapshot. Sending
# a key's later row before them would reorder that order's events.
_EARLIER_UNCLAIMED = compile_sql(
    select(_outbox.c.key, func.min(_outbox.c.id).label("first_id"))
    .where(
        _outbox.c.published_at.is_(None),
        _outbox.c.key == any_(bindparam("keys")),
        _outbox.c.id < bindparam("last_id"),
        _outbox.c.id != all_(bindparam("ids")),
    )
    .group_by(_outbox.c.key)
)
_MARK_PUBLISHED = compile_sql(
    update(_outbox)
    .where(_outbox.c.id == any_(bindparam("ids")))
    .values(published_at=func.clock_timestamp())
)
# Rows held back for an older row of their key are looked at again this soon, not a poll later.
_HELD_BACK_RETRY_SECONDS = 0.05


@dataclass(frozen=True)
class PublishedEvent:
    outbox_id: int
    event_id: uuid.UUID
    topic: str
    key: str
    partition: int
    offset: int
    acknowledged_at: float  # time.monotonic() when the broker's acknowledgement was seen


@dataclass(frozen=True)
class _Round:
    claimed: int
    sent: int  # fewer than claimed when some wait behind an older row of their key
    published: int
    failure: BaseException | None

    @property
    def held_back(self) -> bool:
        return self.sent < self.claimed


class _SimulatedCrash(Exception):
    pass


class Relay(BackgroundLoop):
    def __init__(
        self,
        *,
        conninfo: str,
        bootstrap_servers: str,
        channel: str = DEFAULT_CHANNEL,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        send_timeout: float = 10.0,
        client_id: str = "outbox-relay",
        on_published: Callable[[Sequence[PublishedEvent]], None] | None = None,
        crash_before_marking: bool = False,
        make_producer: Callable[[], KafkaProducer] | None = None,
    ):
        """conninfo: libpq form (service_kit.sql.psycopg_conninfo converts DATABASE_URL).
        on_published: called after each batch is marked, for metrics; it must not block.
        crash_before_marking: for tests only: after the first acknowledged batch, end as a
        process killed at that moment would, leaving the batch unmarked.
        make_producer: for tests: makes the producer instead of kafka_client.new_producer."""
        super().__init__(f"relay[{client_id}]")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._conninfo = conninfo
        self._channel = channel
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._send_timeout = send_timeout
        self._on_published = on_published
        self._crash_before_marking = crash_before_marking
        self._crashed = False
        self._make_producer = make_producer or (
            lambda: new_producer(bootstrap_servers, client_id, send_timeout)
        )
        # stop() writes to this pipe to end the relay's wait for a notification at once.
        self._wake_lock = threading.Lock()
        self._wake_pipe: tuple[int, int] | None = None
        self._producer: KafkaProducer | None = None  # used by the relay's thread only

    @property
    def crashed(self) -> bool:
        return self._crashed

    def stop(self, timeout: float | None = None) -> bool:
        # The current batch is finished (acknowledged and marked) before the relay closes.
        self._stopping.set()
        with self._wake_lock:
            if self._wake_pipe is not None:
                os.write(self._wake_pipe[1], b"x")
        return super().stop(self._send_timeout + 5 if timeout is None else timeout)

    def _session(self) -> None:
        with self._wake_lock:
            self._wake_pipe = os.pipe()
        try:
            self._producer = self._make_producer()
            with (
                psycopg.connect(self._conninfo, autocommit=True) as listener,
                psycopg.connect(self._conninfo, autocommit=True, row_factory=dict_row) as worker,
            ):
                listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                self._ready.set()
                self._publish_until_stopped(listener, worker)
        except _SimulatedCrash:
            self._crashed = True
            self._stopping.set()
            log.warning("%s crashed on purpose before marking its batch published", self.name)
        finally:
            # A crash abandons whatever is buffered; a stop has flushed every batch already.
            self._close_producer(timeout=0 if self._crashed else self._send_timeout)
            with self._wake_lock:
                for end in self._wake_pipe or ():
                    os.close(end)
                self._wake_pipe = None

    def _publish_until_stopped(self, listener: psycopg.Connection, worker: psycopg.Connection):
        backoff = Backoff(0.1, 5.0)
        while not self._stopping.is_set():
            round_ = self._publish_one_batch(worker)
            if round_.failure is not None:
                delay = backoff.next_delay()
                log.warning(
                    "%s: %d of %d rows not acknowledged (%r); sending again in %.1f s",
                    self.name,
                    round_.sent - round_.published,
                    round_.sent,
                    round_.failure,
                    delay,
                )
                # A fresh producer: the old one may hold unsent copies and a broken connection.
                self._close_producer(timeout=0)
                if self._pause(delay):
                    return
                self._producer = self._make_producer()
                continue
            backoff.reset()
            if round_.claimed == self._batch_size and not round_.held_back:
                continue  # more are waiting
            wait = _HELD_BACK_RETRY_SECONDS if round_.held_back else self._poll_interval
            self._wait_for_notification(listener, wait)

    def _close_producer(self, timeout: float) -> None:
        if self._producer is not None:
            self._producer.close(timeout=timeout)
            self._producer = None

    def _publish_one_batch(self, worker: psycopg.Connection) -> _Round:
        with worker.transaction():
            rows = worker.execute(_CLAIM, {"batch_size": self._batch_size}).fetchall()
            if not rows:
                return _Round(claimed=0, sent=0, published=0, failure=None)
            sendable = _in_key_order(worker, rows)
            published, failure = self._send(sendable)
            if published and self._crash_before_marking:
                raise _SimulatedCrash
            if published:
                worker.execute(_MARK_PUBLISHED, {"ids": [event.outbox_id for event in published]})
        if published and self._on_published is not None:
            self._report(published)
        return _Round(len(rows), len(sendable), len(published), failure)

    def _send(
        self, rows: list[dict[str, Any]]
    ) -> tuple[list[PublishedEvent], BaseException | None]:
        """Sends the rows and waits for the broker; returns the acknowledged ones and, if any
        was not acknowledged, the first reason."""
        producer = self._producer
        assert producer is not None
        failure: BaseException | None = None
        pending = []
        for row in rows:
            try:
                future = producer.send(row["topic"], key=row["key"].encode(), value=row["payload"])
            except kafka.errors.KafkaError as error:
                # Say, no metadata for the topic in time. Later rows wait, to keep their order.
                failure = error
                break
            pending.append((row, future))
        try:
            producer.flush(timeout=self._send_timeout)
        except kafka.errors.KafkaTimeoutError as error:
            failure = failure or error
        acknowledged_at = time.monotonic()
        published = []
        for row, future in pending:
            if future.succeeded():
                metadata = future.value
                published.append(
                    PublishedEvent(
                        outbox_id=row["id"],
                        event_id=row["event_id"],
                        topic=row["topic"],
                        key=row["key"],
                        partition=metadata.partition,
                        offset=metadata.offset,
                        acknowledged_at=acknowledged_at,
                    )
                )
            elif failure is None:
                failure = future.exception or kafka.errors.KafkaTimeoutError("no acknowledgement")
        return published, failure

    def _report(self, published: list[PublishedEvent]) -> None:
        try:
            self._on_published(published)
        except Exception:
            # Metrics must never stop publishing.
            log.exception("%s: on_published failed", self.name)

    def _wait_for_notification(self, listener: psycopg.Connection, timeout: float) -> None:
        assert self._wake_pipe is not None
        wake = self._wake_pipe[0]
        readable, _, _ = wait_until_readable([listener.fileno(), wake], [], [], timeout)
        if wake in readable:
            os.read(wake, 64)
        if listener.fileno() in readable:
            # Drain them: a notification only says "look"; the outbox says what to send.
            for _ in listener.notifies(timeout=0):
                pass


def _in_key_order(worker: psycopg.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The claimed rows minus those with an older unpublished row of the same key elsewhere."""
    earlier = worker.execute(
        _EARLIER_UNCLAIMED,
        {
            "keys": sorted({row["key"] for row in rows}),
            "last_id": rows[-1]["id"],
            "ids": [row["id"] for row in rows],
        },
    ).fetchall()
    first_elsewhere = {row["key"]: row["first_id"] for row in earlier}
    return [
        row
        for row in rows
        if row["key"] not in first_elsewhere or row["id"] < first_elsewhere[row["key"]]
    ]
