"""What one (scenario, variant) run measured, in the shape report.json keeps it."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from loadtests.httpload import LoadResult, nearest_rank
from shopdemo.audit.report import AuditReport

FINAL_STATUSES = ("CONFIRMED", "REJECTED", "FAILED", "PENDING")
PERCENTILES = (50, 95, 99)


@dataclass
class RunFigures:
    scenario: str
    variant: str
    skipped: str | None = None  # why the scenario does not apply to this variant
    requests_sent: int = 0
    throughput_per_s: float = 0.0  # answers (any HTTP status) per second of the run
    ack_ms: dict[str, float | None] = field(default_factory=dict)  # p50, p95, p99
    completion_ms: dict[str, float | None] = field(default_factory=dict)
    answers_by_status: dict[str, int] = field(default_factory=dict)
    transport_errors: dict[str, int] = field(default_factory=dict)
    orders_placed: int = 0  # orders the variant recorded during the run
    final_statuses: dict[str, int] = field(default_factory=dict)
    still_pending: int = 0  # after waiting settle_waited_s
    settle_waited_s: float = 0.0
    mesh: dict[str, Any] | None = None  # distributed only
    anomalies_delta: dict[str, int] = field(default_factory=dict)  # kinds that changed
    new_anomalies: int = 0  # sum of the positive deltas
    cpu_seconds: float = 0.0
    peak_memory_mib: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def percentiles_ms(values_s: list[float]) -> dict[str, float | None]:
    """Nearest-rank percentiles (observed values) in ms; None for no values."""
    if not values_s:
        return {f"p{p}": None for p in PERCENTILES}
    return {f"p{p}": round(nearest_rank(values_s, p) * 1000, 1) for p in PERCENTILES}


def load_figures(figures: RunFigures, result: LoadResult) -> None:
    figures.requests_sent = sum(result.statuses.values())
    answers = {status: n for status, n in result.statuses.items() if status != 0}
    figures.answers_by_status = {str(status): n for status, n in sorted(answers.items())}
    figures.transport_errors = dict(sorted(result.errors.items()))
    figures.throughput_per_s = (
        round(sum(answers.values()) / result.duration_s, 2) if result.duration_s else 0.0
    )
    figures.ack_ms = percentiles_ms(result.latencies_s)


def final_status_counts(statuses: dict[str, str]) -> dict[str, int]:
    counts = Counter(statuses.values())
    figures = {status: counts.get(status, 0) for status in FINAL_STATUSES}
    figures.update({status: n for status, n in counts.items() if status not in figures})
    return figures


def anomaly_delta(before: AuditReport, after: AuditReport) -> dict[str, int]:
    """Per kind, what the run added (or, rarely, removed: a pending order that settled)."""
    delta = {}
    for kind, finding in after.findings.by_kind.items():
        change = finding.count - before.findings.count(kind)
        if change:
            delta[kind.value] = change
    return delta
