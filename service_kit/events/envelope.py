"""The event envelope: what every message on the saga's topics looks like, and its JSON form.

Every service reads the same envelope and only `data` differs by `type` and `version`, so a
consumer can deduplicate, route, trace and dead-letter any message without knowing its type.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# W3C Trace Context: version-traceid-parentid-flags, lowercase hex.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_REQUIRED_FIELDS = ("event_id", "type", "version", "order_id", "occurred_at", "producer", "trace")


class MalformedEvent(ValueError):
    """A message that is not a valid event; the message says what is wrong with it."""


def new_traceparent(trace_id: str | None = None) -> str:
    """A sampled W3C traceparent with a fresh span id, in `trace_id`'s trace or a new one."""
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Event:
    type: str  # what happened, past tense: "OrderPlaced", "StockReserved"
    order_id: uuid.UUID  # the saga it belongs to; also the message key, so one order stays ordered
    producer: str  # the service that emitted it
    data: Mapping[str, Any]  # the type's own fields: a JSON object
    version: int = 1  # of `data`'s shape for this type, so a consumer can tell old from new
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=_utc_now)
    trace: str = field(default_factory=new_traceparent)

    def __post_init__(self) -> None:
        _require(isinstance(self.type, str) and self.type != "", "type", self.type)
        _require(isinstance(self.producer, str) and self.producer != "", "producer", self.producer)
        _require(isinstance(self.order_id, uuid.UUID), "order_id", self.order_id)
        _require(isinstance(self.event_id, uuid.UUID), "event_id", self.event_id)
        # bool is an int in Python, but `true` is no version.
        good_version = isinstance(self.version, int) and not isinstance(self.version, bool)
        _require(good_version and self.version >= 1, "version", self.version)
        _require(isinstance(self.data, Mapping), "data", self.data)
        _require(_is_traceparent(self.trace), "trace", self.trace)
        aware = isinstance(self.occurred_at, datetime) and self.occurred_at.utcoffset() is not None
        _require(aware, "occurred_at", self.occurred_at)
        # One representation for one instant: events compare equal after a round trip.
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))

    @property
    def trace_id(self) -> str:
        return self.trace.split("-")[1]

    def to_bytes(self) -> bytes:
        """Compact UTF-8 JSON. Raises TypeError or ValueError if `data` is not JSON-encodable, so
        that a bad event fails in the transaction that appends it, not later in the relay."""
        envelope = {
            "event_id": str(self.event_id),
            "type": self.type,
            "version": self.version,
            "order_id": str(self.order_id),
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds").replace(
                "+00:00", "Z"
            ),
            "producer": self.producer,
            "trace": self.trace,
            "data": dict(self.data),
        }
        # NaN and Infinity are not JSON; other languages' parsers would refuse them.
        text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Event:
        """The event in `raw`, or MalformedEvent. Envelope fields this code does not know are
        ignored, so that a producer can add one before every consumer knows it."""
        try:
            envelope = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (UnicodeDecodeError, ValueError) as error:
            raise MalformedEvent(f"not UTF-8 JSON: {error}") from None
        if not isinstance(envelope, dict):
            raise MalformedEvent(f"not a JSON object but {type(envelope).__name__}")
        missing = [name for name in (*_REQUIRED_FIELDS, "data") if name not in envelope]
        if missing:
            raise MalformedEvent(f"missing fields: {', '.join(missing)}")
        if not isinstance(envelope["data"], dict):
            raise MalformedEvent(f"field 'data' must be a JSON object, got {envelope['data']!r}")
        try:
            return cls(
                type=envelope["type"],
                order_id=_uuid("order_id", envelope["order_id"]),
                producer=envelope["producer"],
                data=envelope["data"],
                version=envelope["version"],
                event_id=_uuid("event_id", envelope["event_id"]),
                occurred_at=_timestamp(envelope["occurred_at"]),
                trace=envelope["trace"],
            )
        except MalformedEvent:
            raise
        except ValueError as error:
            raise MalformedEvent(str(error)) from None


def caused_by(
    cause: Event, type: str, producer: str, data: Mapping[str, Any], version: int = 1
) -> Event:
    """An event that `cause` led to: the same order and the same trace, with a new span."""
    return Event(
        type=type,
        order_id=cause.order_id,
        producer=producer,
        data=data,
        version=version,
        trace=new_traceparent(cause.trace_id),
    )


def _require(condition: bool, name: str, value: object) -> None:
    if not condition:
        raise ValueError(f"field {name!r} has an invalid value: {value!r}")


def _is_traceparent(value: object) -> bool:
    if not isinstance(value, str):
        return False
    match = _TRACEPARENT.fullmatch(value)
    # All-zero ids and version ff are invalid by the W3C specification.
    return match is not None and match[1] != "ff" and match[2] != "0" * 32 and match[3] != "0" * 16


def _uuid(name: str, value: object) -> uuid.UUID:
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise MalformedEvent(f"field {name!r} is not a UUID: {value!r}")


def _timestamp(value: object) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise MalformedEvent(
            f"field 'occurred_at' is not an ISO-8601 time with a UTC offset: {value!r}"
        )
    return moment


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")
