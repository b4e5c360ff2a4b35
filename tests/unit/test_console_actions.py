"""The console's controls check what they send, and a failed action leaves the previous state."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from console.actions import chosen_variants
from console.config import Settings
from console.payment_fault import apply_everywhere, parse_payment_fault
from console.steady_load import parse_rate, window_s
from console.topology import columns
from shop.errors import Conflict, DependencyFailed, InvalidRequest
from shop.payment_provider import NO_FAULT, PaymentFault

SETTINGS = Settings.from_env(
    {"CONSOLE_VARIANTS": "monolith=http://m:1,distributed=http://d:1,event_driven=http://e:1"}
)
COLUMNS = columns(SETTINGS)


def test_all_means_every_running_variant():
    running = COLUMNS[:2]
    assert chosen_variants("all", COLUMNS, running) == {
        "monolith": "http://m:1",
        "distributed": "http://d:1",
    }


@pytest.mark.parametrize("raw", [[], "monolith", [1], {"monolith": True}])
def test_variants_must_be_all_or_a_list_of_names(raw):
    with pytest.raises(InvalidRequest, match="variants must be"):
        chosen_variants(raw, COLUMNS, COLUMNS)


def test_an_unknown_variant_is_refused_and_a_stopped_one_is_a_conflict():
    with pytest.raises(InvalidRequest, match="unknown variant.*microservices"):
        chosen_variants(["microservices"], COLUMNS, COLUMNS)
    with pytest.raises(Conflict, match="not running: event_driven"):
        chosen_variants(["event_driven"], COLUMNS, COLUMNS[:1])


@pytest.mark.parametrize("raw", [0, -1, 0.05, 101, math.inf, math.nan, "5", True, None])
def test_a_load_rate_outside_a_tenth_to_a_hundred_orders_a_second_is_refused(raw):
    with pytest.raises(InvalidRequest) as refused:
        parse_rate(raw)
    assert refused.value.field == "rate_per_s"


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.7, 1, 1.5, 2.5, 10, 33.3, 100])
def test_each_load_window_holds_a_whole_number_of_arrivals_so_chained_windows_keep_the_rate(rate):
    length = window_s(rate)
    arrivals = sum(1 for seq in range(1000) if seq / rate < length)
    assert 1 <= length < 2 or rate < 1
    assert arrivals / length == pytest.approx(rate)


@pytest.mark.parametrize(
    "raw, says",
    [
        ({"failure_rate": 1.5}, "failure_rate must be from 0 to 1"),
        ({"latency_ms": -1}, "latency_ms must be from 0"),
        ({"latency_ms": 2.5}, "whole number"),
        ({"failure": 0.2}, "unknown field"),
    ],
)
def test_a_payment_fault_out_of_range_is_refused_before_anything_is_sent(raw, says):
    with pytest.raises(InvalidRequest, match=says):
        parse_payment_fault(raw)


class FaultKnobs:
    """Card-processor units as the admin endpoint behaves; `refusing` answers 503 to PUT."""

    def __init__(self, names: list[str], refusing: str | None = None, silent: str | None = None):
        self.faults = {name: {"latency_ms": 0, "failure_rate": 0.0} for name in names}
        self.refusing = refusing
        self.silent = silent

    def handle(self, request: httpx.Request) -> httpx.Response:
        name = request.url.host
        if name == self.silent:
            raise httpx.ConnectError("connection refused", request=request)
        if request.method == "PUT":
            if name == self.refusing:
                return httpx.Response(503, json={"detail": "busy"})
            self.faults[name] = json.loads(request.content)
        elif request.method == "DELETE":
            self.faults[name] = {"latency_ms": 0, "failure_rate": 0.0}
        return httpx.Response(200, json=self.faults[name])


def units(names: list[str]) -> dict[str, str]:
    return {name: f"http://{name}" for name in names}


def test_a_fault_is_set_on_every_card_processor_and_said():
    knobs = FaultKnobs(["a", "b"])
    with httpx.Client(transport=httpx.MockTransport(knobs.handle)) as http:
        said = apply_everywhere(http, units(["a", "b"]), PaymentFault(200, 0.2))
        assert knobs.faults == {n: {"latency_ms": 200, "failure_rate": 0.2} for n in "ab"}
        assert said[1] == "b: payment latency 200 ms, failure rate 20 %"
        apply_everywhere(http, units(["a", "b"]), NO_FAULT)
    assert knobs.faults["a"] == {"latency_ms": 0, "failure_rate": 0.0}


def test_when_one_unit_refuses_the_ones_already_set_are_put_back():
    knobs = FaultKnobs(["a", "b", "c"], refusing="b")
    knobs.faults["a"] = {"latency_ms": 50, "failure_rate": 0.1}
    with httpx.Client(transport=httpx.MockTransport(knobs.handle)) as http:
        with pytest.raises(DependencyFailed, match="b refused the fault.*a put back"):
            apply_everywhere(http, units(["a", "b", "c"]), PaymentFault(0, 1.0))
    assert knobs.faults["a"] == {"latency_ms": 50, "failure_rate": 0.1}
    assert knobs.faults["c"] == {"latency_ms": 0, "failure_rate": 0.0}


def test_when_one_unit_does_not_answer_nothing_is_changed_anywhere():
    knobs = FaultKnobs(["a", "b"], silent="b")
    with httpx.Client(transport=httpx.MockTransport(knobs.handle)) as http:
        with pytest.raises(DependencyFailed, match="b does not answer.*nothing was changed"):
            apply_everywhere(http, units(["a", "b"]), PaymentFault(0, 1.0))
    assert knobs.faults["a"] == {"latency_ms": 0, "failure_rate": 0.0}
