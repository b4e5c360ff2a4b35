"""The idempotent consumer: each event's effect happens once, however often Kafka delivers it.

Delivery is at least once: the relay may publish an event twice, and a consumer that dies
before committing its offset reads events again. So every event is applied in a database
transaction that first records its id in `processed_events`; if the id is there already, the
event was applied before and the handler is skipped. The events of one poll share one
transaction (one commit for all of them); if one of them fails, that transaction is rolled
back whole and the events are applied again one per transaction. The handler changes the
service's state and appends its outgoing events to the outbox on the same connection, so state,
outgoing events and "processed" commit together or not at all. The Kafka offset is committed
only after that: a crash in between means a redelivery, which the recorded id absorbs.

A handler that raises is retried with back-off; after MAX_ATTEMPTS failures the event goes to
dead_letters (and counts as processed) and the consumer moves on. Five attempts: the failures
that pass on their own (a deadlock, a serialization failure, a lock timeout) pass within a
second or two, while a failure that is in the code or the data fails every time, and meanwhile
every later event on the partition waits; and all attempts (about 3 s of back-off) must fit
well inside max_poll_interval_ms, or the group would put the consumer out.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert

from service_kit.events.background import BackgroundLoop, Backoff
from service_kit.events.dead_letters import ReceivedMessage, record_dead_letter
from service_kit.events.envelope import Event, MalformedEvent
from service_kit.events.kafka_client import (
    FETCH_MAX_WAIT_MS,
    GROUP_SETTINGS,
    ConsumerRebalanceListener,
    KafkaConsumer,
    OffsetAndMetadata,
    TopicPartition,
    kafka,
    new_group_consumer,
)
from service_kit.events.tables import STATEMENT_TABLES
from service_kit.sql import compile_sql

log = logging.getLogger(__name__)

Handler = Callable[[psycopg.Connection, Event], None]

MAX_ATTEMPTS = 5
_processed = STATEMENT_TABLES.processed_events
# Returns the id when this is the first time; nothing when the event was processed before.
_FIRST_TIME = compile_sql(
    insert(_processed)
    .values(event_id=bindparam("event_id"), event_type=bindparam("event_type"))
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(_processed.c.event_id)
)
# Work between two polls stops after this long (the rest is read again after the next poll),
# so that the consumer polls well within max_poll_interval_ms and stays in its group.
_WORK_BUDGET_SECONDS = GROUP_SETTINGS["max_poll_interval_ms"] / 1000 / 2
_POLL_TIMEOUT_MS = 250  # also how soon a stop is noticed while idle
_MAX_RETRY_WAIT = 5.0


@dataclass
class ConsumerStats:
    applied: int = 0  # handler ran and committed
    duplicates: int = 0  # already processed: handler skipped
    retries: int = 0  # handler failures that were tried again
    dead_lettered: int = 0  # handler failed max_attempts times
    malformed: int = 0  # not a readable event


class Consumer(BackgroundLoop):
    def __init__(
        self,
        *,
        conninfo: str,
        bootstrap_servers: str,
        group_id: str,
        topics: Iterable[str],
        handler: Handler,
        client_id: str | None = None,
        max_attempts: int = MAX_ATTEMPTS,
        retry_backoff: float = 0.2,
        fetch_max_wait_ms: int = FETCH_MAX_WAIT_MS,
    ):
        """conninfo: libpq form (service_kit.sql.psycopg_conninfo converts DATABASE_URL).
        handler(connection, event): runs inside the event's transaction; must not commit.
        retry_backoff: the first wait after a handler failure; each next one doubles.
        fetch_max_wait_ms: on Tansu, the latency of an idle consumer (see kafka_client)."""
        super().__init__(f"consumer[{group_id}]")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        waits = sum(min(retry_backoff * 2**n, _MAX_RETRY_WAIT) for n in range(max_attempts - 1))
        if waits >= _WORK_BUDGET_SECONDS:
            raise ValueError(
                f"{max_attempts} attempts with waits from {retry_backoff} s, doubling, wait"
                f" {waits:.1f} s in all for one message, more than the"
                f" {_WORK_BUDGET_SECONDS:.0f} s a consumer may spend between polls before its"
                " group puts it out; lower max_attempts or retry_backoff"
            )
        self._conninfo = conninfo
        self._bootstrap_servers = bootstrap_servers
        self._group_id = group_id
        self._topics = sorted(set(topics))
        self._handler = handler
        self._client_id = client_id or f"{group_id}-consumer"
        self._max_attempts = max_attempts
        self._retry_backoff = retry_backoff
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._stats = ConsumerStats()
        self._assignment: frozenset[TopicPartition] = frozenset()

    @property
    def stats(self) -> ConsumerStats:
        return dataclasses.replace(self._stats)

    @property
    def assignment(self) -> frozenset[TopicPartition]:
        """The partitions this member of the group reads now."""
        return self._assignment

    def _session(self) -> None:
        consumer = new_group_consumer(
            self._bootstrap_servers, self._group_id, self._client_id, self._fetch_max_wait_ms
        )
        try:
            with psycopg.connect(self._conninfo, autocommit=True, row_factory=dict_row) as db:
                consumer.subscribe(self._topics, listener=_AssignmentListener(self))
                while not self._stopping.is_set():
                    batch = consumer.poll(timeout_ms=_POLL_TIMEOUT_MS)
                    self._process(consumer, db, batch)
        finally:
            # Every handled message's offset is committed already; leaving the group at once
            # hands the partitions to the other members without waiting for a session timeout.
            consumer.close(autocommit=False)
            self._assignment = frozenset()

    def _process(
        self,
        consumer: KafkaConsumer,
        db: psycopg.Connection,
        batch: dict[TopicPartition, list[ReceivedMessage]],
    ) -> None:
        deadline = time.monotonic() + _WORK_BUDGET_SECONDS
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        failed = self._apply_together(consumer, db, batch, deadline, done)
        if failed is not None:
            # One event failed, and the batch's transaction was rolled back with it: apply the
            # batch again one event at a time, with the retries and dead letters of _handle.
            done = self._apply_one_by_one(consumer, db, batch, deadline, failed)
        if not done:
            return
        try:
            consumer.commit(done)
        except kafka.errors.CommitFailedError as error:
            # The group took partitions away meanwhile; their new owner reads these messages
            # again, and processed_events turns that into no effect.
            log.warning("%s: offsets not committed (%s)", self.name, error)

    def _apply_together(
        self,
        consumer: KafkaConsumer,
        db: psycopg.Connection,
        batch: dict[TopicPartition, list[ReceivedMessage]],
        deadline: float,
        done: dict[TopicPartition, OffsetAndMetadata],
    ) -> _Failure | None:
        """Applies the batch in one transaction: one commit (one WAL flush, two round trips
        fewer per event) for what a poll returned, which is what keeps a busy consumer from
        falling behind. Out of time or asked to stop, it commits what it applied and leaves
        the rest to the next poll. If an event failed or was malformed, the batch's whole
        transaction was rolled back: returns which message, and whether its handler ran."""
        reached: dict[TopicPartition, int] = {}  # the next offset, per partition
        left: dict[TopicPartition, int] = {}  # the first offset not applied, per partition
        applied = duplicates = 0
        current = _Failure(None, -1, error=None)
        try:
            with db.transaction():
                for partition, messages in batch.items():
                    for message in messages:
                        if time.monotonic() > deadline or self._stopping.is_set():
                            left[partition] = message.offset
                            break
                        current = _Failure(partition, message.offset, error=None)
                        event = Event.from_bytes(message.value or b"")
                        if self._first_time(db, event):
                            self._handler(db, event)
                            applied += 1
                        else:
                            duplicates += 1
                        reached[partition] = message.offset + 1
        except MalformedEvent:
            return current
        except Exception as error:
            if db.broken:
                raise  # the database went away: not the handler's fault; reconnect
            return dataclasses.replace(current, error=error)
        for partition, offset in left.items():
            consumer.seek(partition, offset)  # the next poll (or the next owner) starts here
        done.update({p: OffsetAndMetadata(offset, "", -1) for p, offset in reached.items()})
        self._stats.applied += applied
        self._stats.duplicates += duplicates
        return None

    def _apply_one_by_one(
        self,
        consumer: KafkaConsumer,
        db: psycopg.Connection,
        batch: dict[TopicPartition, list[ReceivedMessage]],
        deadline: float,
        failed: _Failure,
    ) -> dict[TopicPartition, OffsetAndMetadata]:
        done: dict[TopicPartition, OffsetAndMetadata] = {}
        for partition, messages in batch.items():
            for message in messages:
                # The handler's run in the rolled-back batch counts as its first attempt.
                here = (partition, message.offset) == failed.position
                out_of_time = time.monotonic() > deadline
                if (
                    out_of_time
                    or self._stopping.is_set()
                    or not self._handle(db, message, failed.error if here else None)
                ):
                    # Not handled: the next poll (or the group's next owner) starts here again.
                    consumer.seek(partition, message.offset)
                    break
                done[partition] = OffsetAndMetadata(message.offset + 1, "", -1)
        return done

    def _handle(
        self,
        db: psycopg.Connection,
        message: ReceivedMessage,
        first_failure: Exception | None = None,
    ) -> bool:
        """Applies the message once; False if asked to stop before it was dealt with.
        first_failure: how its handler failed in a rolled-back batch (its first attempt)."""
        try:
            event = Event.from_bytes(message.value or b"")
        except MalformedEvent as error:
            with db.transaction():
                record_dead_letter(db, message, f"malformed event: {error}", attempts=0)
            self._stats.malformed += 1
            log.warning("%s: %s", self.name, _where(message, f"malformed event: {error}"))
            return True
        backoff = Backoff(self._retry_backoff, max(self._retry_backoff, _MAX_RETRY_WAIT))
        failure = first_failure
        if failure is not None:
            self._log_failure(message, failure, attempt=1)
        for attempt in range(1 if failure is None else 2, self._max_attempts + 1):
            if failure is not None:
                self._stats.retries += 1
                if self._pause(backoff.next_delay()):
                    return False
            try:
                self._apply(db, event)
                return True
            except Exception as error:
                if db.broken:
                    raise  # the database went away: not the handler's fault; reconnect
                failure = error
            self._log_failure(message, failure, attempt)
        assert failure is not None
        self._give_up(db, message, event, failure)
        return True

    def _log_failure(self, message: ReceivedMessage, failure: Exception, attempt: int) -> None:
        log.warning(
            "%s: %s (attempt %d of %d)",
            self.name,
            _where(message, f"handler failed: {failure!r}"),
            attempt,
            self._max_attempts,
        )

    def _apply(self, db: psycopg.Connection, event: Event) -> None:
        with db.transaction():
            if not self._first_time(db, event):
                self._stats.duplicates += 1
                return
            self._handler(db, event)
        self._stats.applied += 1

    @staticmethod
    def _first_time(db: psycopg.Connection, event: Event) -> bool:
        """Records the event as processed; False if it was processed before."""
        recorded = db.execute(_FIRST_TIME, {"event_id": event.event_id, "event_type": event.type})
        return recorded.fetchone() is not None

    def _give_up(
        self, db: psycopg.Connection, message: ReceivedMessage, event: Event, failure: Exception
    ) -> None:
        error = f"handler failed {self._max_attempts} times; last: {failure!r}"
        with db.transaction():
            # Processed too: a redelivered copy is skipped rather than failing all over again.
            db.execute(_FIRST_TIME, {"event_id": event.event_id, "event_type": event.type})
            record_dead_letter(db, message, error, self._max_attempts, event.event_id)
        self._stats.dead_lettered += 1
        log.error("%s: %s", self.name, _where(message, f"dead-lettered {event.type}: {error}"))


@dataclass(frozen=True)
class _Failure:
    """Where a batch failed: the message, and how its handler failed (an attempt spent)."""

    partition: TopicPartition | None
    offset: int
    error: Exception | None  # how its handler failed; None if it did not run (malformed)

    @property
    def position(self) -> tuple[TopicPartition | None, int]:
        return self.partition, self.offset


class _AssignmentListener(ConsumerRebalanceListener):
    """Runs inside poll(), on the consumer's thread, whenever the group hands out partitions."""

    def __init__(self, owner: Consumer):
        self._owner = owner

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._owner._assignment = frozenset()

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._owner._assignment = frozenset(assigned)
        # Ready once it is a member of the group, even with no partition: there may be more
        # members than partitions, and such a member is healthy and waits its turn.
        self._owner._ready.set()


def _where(message: ReceivedMessage, what: str) -> str:
    return f"{message.topic}[{message.partition}]@{message.offset}: {what}"
