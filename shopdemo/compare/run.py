"""One (scenario, variant) run: prepare, apply the scenario, load, restore, settle, measure."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from shop.payment_provider import NO_FAULT
from shopdemo import stack
from shopdemo.audit.launcher import unit_connector
from shopdemo.audit.variant_audit import audit_variant
from shopdemo.compare import mesh_figures
from shopdemo.compare.figures import (
    RunFigures,
    anomaly_delta,
    final_status_counts,
    load_figures,
    percentiles_ms,
)
from shopdemo.compare.resources import ResourceSampler, variant_processes
from shopdemo.compare.scenarios import PAYMENT_CALLER, Scenario
from shopdemo.compare.settle import SETTLE_BOUND_S, order_ids, wait_until_final
from shopdemo.compare.traffic import Target, send_orders
from shopdemo.config import LauncherConfig
from shopdemo.faults import apply_payment_fault
from shopdemo.mesh_commands import mesh_url
from shopdemo.processes import kill_hard
from shopdemo.state import StackState


@dataclass(frozen=True)
class LoadProfile:
    duration_s: float
    rate_per_s: float
    seed: int = 7  # the same sequence of orders for every variant


def quiet(_: str) -> None:
    """A `say` for launcher helpers whose progress lines would drown the report."""


def restore_normal(config: LauncherConfig) -> None:
    """Clear every payment fault and put the mesh back on istio/: the state between runs."""
    apply_payment_fault(config, NO_FAULT, quiet)
    if "distributed" in stack.running_variants(config):
        mesh_figures.reset_policies(mesh_url(config))


def run_one(
    config: LauncherConfig,
    scenario: Scenario,
    variant: str,
    base_url: str,
    profile: LoadProfile,
    settle_bound_s: float = SETTLE_BOUND_S,
) -> RunFigures:
    figures = RunFigures(scenario=scenario.name, variant=variant)
    if not scenario.applies_to(variant):
        figures.skipped = scenario.skip_reason
        return figures
    connect = unit_connector(config)
    restore_normal(config)
    audit_before = audit_variant(variant, connect, datetime.now(UTC), settle_bound_s)
    ids_before = order_ids(variant, connect)
    mesh = mesh_url(config) if variant == "distributed" else None
    counters_before = mesh_figures.read_counters(mesh) if mesh else None
    sampler = ResourceSampler(lambda: variant_processes(config.state_file, variant))
    sampler.start()
    crash = _CrashSchedule(config, variant, profile.duration_s) if scenario.crash else None
    try:
        _apply(config, scenario, mesh)
        if crash:
            crash.start()
        result = send_orders(
            Target.from_url(base_url), profile.rate_per_s, profile.duration_s, profile.seed
        )
    finally:
        if crash:
            crash.finish()
        restore_normal(config)
        sampler.stop()
    load_figures(figures, result)
    placed = order_ids(variant, connect) - ids_before
    figures.orders_placed = len(placed)
    if mesh and counters_before is not None:
        # Read before settling: polling the orders goes through the mesh too.
        counters_after = mesh_figures.read_counters(mesh)
        figures.mesh = mesh_figures.mesh_delta(counters_before, counters_after, len(placed))
    settled = wait_until_final(base_url, placed, settle_bound_s)
    figures.final_statuses = final_status_counts(settled.statuses)
    figures.still_pending = settled.still_pending
    figures.settle_waited_s = round(settled.waited_s, 1)
    figures.completion_ms = percentiles_ms(settled.completion_s)
    audit_after = audit_variant(variant, connect, datetime.now(UTC), settle_bound_s)
    figures.anomalies_delta = anomaly_delta(audit_before, audit_after)
    figures.new_anomalies = sum(n for n in figures.anomalies_delta.values() if n > 0)
    figures.cpu_seconds = round(sampler.cpu_seconds, 2)
    figures.peak_memory_mib = round(sampler.peak_memory_bytes / 2**20, 1)
    if crash:
        figures.notes.extend(crash.notes)
    if settled.unreadable:
        figures.notes.append(f"{settled.unreadable} orders could not be read back")
    return figures


def _apply(config: LauncherConfig, scenario: Scenario, mesh: str | None) -> None:
    if mesh:
        for path in scenario.mesh_files:
            mesh_figures.apply_file(mesh, path)
    if scenario.payment_fault != NO_FAULT:
        apply_payment_fault(config, scenario.payment_fault, quiet)


class _CrashSchedule:
    """kill -9 the variant's payment caller at 1/3 of the run, `up` it again at 2/3."""

    def __init__(self, config: LauncherConfig, variant: str, duration_s: float) -> None:
        self._config = config
        self._variant = variant
        self._unit = PAYMENT_CALLER[variant]
        self._duration_s = duration_s
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name="compare-crash", daemon=True)
        self.notes: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        """Wait for the restart; if the load ended early, restart at once."""
        self._cancelled.set()
        self._thread.join()
        # Whatever happened above, the variant must be whole again for the next run.
        stack.up(self._config, [self._variant], quiet)

    def _run(self) -> None:
        if self._cancelled.wait(self._duration_s / 3):
            return
        record = StackState.load(self._config.state_file).units.get(self._unit)
        if record is not None and kill_hard(record):
            self.notes.append(f"{self._unit} killed with SIGKILL at 1/3 of the run")
        if self._cancelled.wait(self._duration_s / 3):
            return
        try:
            stack.up(self._config, [self._variant], quiet)
        except stack.LauncherError as error:
            # finish() tries again and raises if the variant still cannot start.
            self.notes.append(f"{self._unit} did not start again at 2/3 of the run: {error}")
            return
        self.notes.append(f"{self._unit} started again at 2/3 of the run")
