"""The figures a run computes: percentiles, mesh deltas, audit deltas, CPU and memory."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime

from loadtests.httpload import LoadResult
from shopdemo.audit.kinds import Anomaly
from shopdemo.audit.report import AuditReport, Findings, Pending
from shopdemo.compare.figures import (
    RunFigures,
    anomaly_delta,
    final_status_counts,
    load_figures,
    percentiles_ms,
)
from shopdemo.compare.mesh_figures import mesh_delta, summed_counters
from shopdemo.compare.resources import ResourceSampler


def test_percentiles_are_observed_values_in_milliseconds_and_none_without_values():
    assert percentiles_ms([0.001 * n for n in range(1, 101)]) == {
        "p50": 50.0,
        "p95": 95.0,
        "p99": 99.0,
    }
    assert percentiles_ms([]) == {"p50": None, "p95": None, "p99": None}


def test_load_figures_count_answers_apart_from_transport_errors():
    result = LoadResult(
        duration_s=2.0,
        latencies_s=[0.01, 0.02, 0.03],
        statuses=Counter({201: 2, 402: 1, 0: 1}),
        errors=Counter({"timeout": 1}),
    )
    figures = RunFigures("baseline", "monolith")
    load_figures(figures, result)
    assert figures.requests_sent == 4
    assert figures.answers_by_status == {"201": 2, "402": 1}
    assert figures.transport_errors == {"timeout": 1}
    assert figures.throughput_per_s == 1.5


def test_final_statuses_always_name_the_four_statuses():
    counts = final_status_counts({"a": "CONFIRMED", "b": "CONFIRMED", "c": "UNREADABLE"})
    assert counts == {"CONFIRMED": 2, "REJECTED": 0, "FAILED": 0, "PENDING": 0, "UNREADABLE": 1}


def test_mesh_counters_are_summed_over_routes_and_faults_over_kinds():
    route = {
        "requests": 2,
        "attempts": 3,
        "retries": 1,
        "per_try_timeouts": 1,
        "overflows": 0,
        "faults": {"delay": 1, "abort": 2},
    }
    summed = summed_counters({"routes": [route, route], "totals": {}})
    assert summed == {
        "requests": 4,
        "attempts": 6,
        "retries": 2,
        "per_try_timeouts": 2,
        "overflows": 0,
        "injected_faults": 6,
    }


def test_mesh_delta_gives_attempts_per_order_and_per_request():
    before = {"requests": 10, "attempts": 10, "retries": 0}
    after = {"requests": 60, "attempts": 85, "retries": 25}
    delta = mesh_delta(before, after, orders=10)
    assert delta["attempts"] == 75 and delta["retries"] == 25
    assert delta["attempts_per_order"] == 7.5 and delta["attempts_per_request"] == 1.5
    assert mesh_delta(before, before, orders=0)["attempts_per_order"] is None


def _audit(**counts: int) -> AuditReport:
    findings = Findings()
    for kind, count in counts.items():
        for n in range(count):
            findings.add(Anomaly(kind), n)
    return AuditReport(
        "distributed", datetime.now(UTC), {}, Pending(0, None, 30), findings, None, []
    )


def test_the_anomaly_delta_keeps_only_the_kinds_the_run_changed():
    before = _audit(not_confirmed_but_charged=2, stuck_pending=1)
    after = _audit(not_confirmed_but_charged=5, stuck_pending=1, stock_taken_twice=1)
    assert anomaly_delta(before, after) == {"not_confirmed_but_charged": 3, "stock_taken_twice": 1}


def test_the_sampler_counts_cpu_used_during_the_run_and_the_peak_memory():
    me = {("pytest", os.getpid(), 0.0): os.getpid()}
    sampler = ResourceSampler(lambda: me, every_s=0.01)
    sampler.start()
    sum(n * n for n in range(300_000))
    sampler.stop()
    assert 0 < sampler.cpu_seconds < 30
    assert sampler.peak_memory_bytes > 0


def test_a_process_started_during_the_run_counts_from_zero():
    processes: dict = {}
    sampler = ResourceSampler(lambda: processes, every_s=60)
    sampler.start()
    processes[("restarted", os.getpid(), 1.0)] = os.getpid()
    sampler.stop()
    assert sampler.cpu_seconds > 0.01
