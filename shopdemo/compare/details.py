"""Every figure of a run as (label, text) pairs: the list report.md and report.html show."""

from __future__ import annotations

from typing import Any

from shopdemo.compare.figures import RunFigures

LABELS = {
    "requests_sent": "requests sent",
    "throughput_per_s": "throughput (answers/s)",
    "ack_ms": "acknowledgement ms",
    "completion_ms": "completion ms (placed -> final)",
    "answers_by_status": "answers by HTTP status",
    "transport_errors": "transport errors (no answer)",
    "orders_placed": "orders placed (recorded by the variant)",
    "final_statuses": "final statuses",
    "still_pending": "still pending after settling",
    "settle_waited_s": "waited to settle (s)",
    "mesh": "mesh (delta during the load)",
    "anomalies_delta": "audit anomalies (delta by kind)",
    "new_anomalies": "new anomalies",
    "cpu_seconds": "CPU seconds of the variant's processes",
    "peak_memory_mib": "peak memory MiB (PSS)",
    "notes": "notes",
}


def describe(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{key} {describe(item)}" for key, item in value.items()) or "none"
    if isinstance(value, list):
        return "; ".join(describe(item) for item in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def run_details(run: RunFigures) -> list[tuple[str, str]]:
    if run.skipped is not None:
        return [("skipped", run.skipped)]
    figures = run.to_json()
    return [(label, describe(figures[name])) for name, label in LABELS.items()]
