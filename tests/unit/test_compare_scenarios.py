"""The scenarios of `shopdemo compare`: the same fault everywhere it applies, and valid files."""

from __future__ import annotations

import pytest
import yaml

from mesh.policy_loader import load_file
from shop.payment_provider import NO_FAULT
from shopdemo.compare.scenarios import PAYMENT_CALLER, SCENARIOS, select_scenarios
from shopdemo.units import VARIANTS, find_unit


def test_every_scenario_but_the_retry_storm_applies_to_every_variant():
    for scenario in SCENARIOS.values():
        expected = {"distributed"} if scenario.name == "retry-storm" else set(VARIANTS)
        assert {v for v in VARIANTS if scenario.applies_to(v)} == expected


def test_a_skipped_variant_is_told_why():
    assert "mesh" in SCENARIOS["retry-storm"].skip_reason


def test_the_baseline_applies_no_fault_and_no_policy():
    baseline = SCENARIOS["baseline"]
    assert baseline.payment_fault == NO_FAULT and not baseline.mesh_files and not baseline.crash


def test_payment_flaky_fails_three_charges_in_ten():
    assert SCENARIOS["payment-flaky"].payment_fault.failure_rate == 0.3


def test_payment_slow_is_slower_than_the_impatient_routes_per_try_timeout():
    scenario = SCENARIOS["payment-slow"]
    (path,) = scenario.mesh_files
    route = yaml.safe_load(path.read_text())["spec"]["http"][0]["retries"]
    assert route == {"attempts": 2, "perTryTimeout": "300ms", "retryOn": "5xx,gateway-error,reset"}
    assert scenario.payment_fault.latency_ms == 400
    assert load_file(path)


def test_the_impatient_route_replaces_the_baseline_payment_route():
    (path,) = SCENARIOS["payment-slow"].mesh_files
    assert yaml.safe_load(path.read_text())["metadata"]["name"] == "payment"


def test_the_retry_storm_applies_every_retry_storm_file_and_a_1200_ms_processor():
    scenario = SCENARIOS["retry-storm"]
    assert len(scenario.mesh_files) == 5
    assert all(path.name.endswith("retry-storm.yaml") for path in scenario.mesh_files)
    assert scenario.payment_fault.latency_ms == 1200


def test_the_crash_kills_the_unit_that_holds_the_card_processor_in_each_variant():
    assert SCENARIOS["crash"].crash
    assert set(PAYMENT_CALLER) == set(VARIANTS)
    for variant, unit_name in PAYMENT_CALLER.items():
        unit = find_unit(unit_name)
        assert unit is not None and unit.payment_processor
        assert unit in VARIANTS[variant].units


def test_scenarios_run_in_the_order_named_and_every_one_by_default():
    assert [s.name for s in select_scenarios(["crash", "baseline", "crash"])] == [
        "crash",
        "baseline",
    ]
    assert [s.name for s in select_scenarios(None)] == list(SCENARIOS)


def test_an_unknown_scenario_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="known: baseline"):
        select_scenarios(["meteor"])
