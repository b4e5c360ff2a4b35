"""The event envelope: its JSON form, and a clear refusal of anything that is not an event."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from service_kit.events.envelope import Event, MalformedEvent, caused_by, new_traceparent

ORDER = uuid.UUID("0b9a2f52-6a57-4d5e-9a0e-3f1f6f1de0a1")


def placed(**overrides) -> Event:
    fields = {"type": "OrderPlaced", "order_id": ORDER, "producer": "order", "data": {"total": 1}}
    return Event(**(fields | overrides))


def envelope(**overrides) -> bytes:
    """A valid event's JSON with fields replaced, or left out where the value is `...`."""
    fields = json.loads(placed().to_bytes())
    fields.update(overrides)
    return json.dumps({k: v for k, v in fields.items() if v is not ...}).encode()


def test_an_event_survives_the_round_trip_through_bytes_unchanged() -> None:
    event = placed(data={"lines": [{"sku": "MUG-LOGO", "quantity": 2}], "note": "für Jörg"})

    assert Event.from_bytes(event.to_bytes()) == event


def test_the_bytes_are_utf8_json_with_every_envelope_field_in_a_portable_form() -> None:
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    event = placed(occurred_at=moment, version=2, data={"name": "Jörg"})

    raw = event.to_bytes()

    assert "Jörg".encode() in raw
    fields = json.loads(raw.decode("utf-8"))
    assert fields == {
        "event_id": str(event.event_id),
        "type": "OrderPlaced",
        "version": 2,
        "order_id": str(ORDER),
        "occurred_at": "2024-05-01T12:30:00.000000Z",
        "producer": "order",
        "trace": event.trace,
        "data": {"name": "Jörg"},
    }


def test_a_new_event_gets_an_id_the_current_utc_time_and_a_w3c_traceparent() -> None:
    before = datetime.now(UTC)

    first, second = placed(), placed()

    assert first.event_id != second.event_id
    assert before <= first.occurred_at <= datetime.now(UTC)
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", first.trace)
    assert first.trace_id != second.trace_id


def test_a_time_given_in_another_zone_is_kept_as_the_same_instant_in_utc() -> None:
    local = datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))

    event = placed(occurred_at=local)

    assert event.occurred_at == local
    assert event.occurred_at.tzinfo == UTC


def test_an_event_caused_by_another_continues_its_order_and_its_trace_with_a_new_span() -> None:
    cause = placed()

    effect = caused_by(cause, "StockReserved", "inventory", {"sku": "MUG-LOGO"})

    assert (effect.order_id, effect.trace_id) == (cause.order_id, cause.trace_id)
    assert effect.trace != cause.trace
    assert effect.event_id != cause.event_id
    assert (effect.type, effect.producer, effect.version) == ("StockReserved", "inventory", 1)


def test_a_given_trace_id_is_kept_in_a_new_traceparent() -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"

    assert new_traceparent(trace_id).split("-")[1] == trace_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": ""}, "type"),
        ({"producer": None}, "producer"),
        ({"order_id": str(ORDER)}, "order_id"),
        ({"version": 0}, "version"),
        ({"version": True}, "version"),
        ({"data": ["not", "an", "object"]}, "data"),
        ({"trace": "00-abc-def-01"}, "trace"),
        ({"trace": f"00-{'0' * 32}-{'1' * 16}-01"}, "trace"),
        ({"occurred_at": datetime(2024, 5, 1, 12, 30)}, "occurred_at"),
    ],
)
def test_an_event_with_an_invalid_field_cannot_be_made(overrides: dict, field: str) -> None:
    with pytest.raises(ValueError, match=f"field '{field}'"):
        placed(**overrides)


def test_data_that_is_not_json_fails_when_the_event_is_encoded() -> None:
    with pytest.raises(ValueError):
        placed(data={"ratio": float("nan")}).to_bytes()
    with pytest.raises(TypeError):
        placed(data={"when": datetime.now(UTC)}).to_bytes()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"{not json", "not UTF-8 JSON"),
        (b'{"version": NaN}', "not UTF-8 JSON"),
        (b"[]", "not a JSON object but list"),
        (b'{"type": "OrderPlaced"}', "missing fields: event_id, version, order_id"),
        (envelope(data=...), "missing fields: data"),
        (envelope(data="text"), "field 'data' must be a JSON object"),
        (envelope(order_id="order-1"), "field 'order_id' is not a UUID: 'order-1'"),
        (envelope(event_id=42), "field 'event_id' is not a UUID: 42"),
        (envelope(occurred_at="yesterday"), "field 'occurred_at' is not an ISO-8601 time"),
        (envelope(occurred_at="2024-05-01T12:30:00"), "with a UTC offset"),
        (envelope(version="1"), "field 'version' has an invalid value: '1'"),
        (envelope(trace="00-nope"), "field 'trace' has an invalid value"),
    ],
)
def test_a_malformed_message_is_refused_with_what_is_wrong(raw: bytes, message: str) -> None:
    with pytest.raises(MalformedEvent, match=re.escape(message)):
        Event.from_bytes(raw)


def test_envelope_fields_this_code_does_not_know_are_ignored() -> None:
    event = placed()
    fields = json.loads(event.to_bytes()) | {"tenant": "workshop"}

    assert Event.from_bytes(json.dumps(fields).encode()) == event
