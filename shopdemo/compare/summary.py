"""The summary table printed at the end of `shopdemo compare` and put in report.md."""

from __future__ import annotations

from shopdemo.compare.figures import RunFigures

COLUMNS = (
    ("scenario", "<"),
    ("variant", "<"),
    ("sent", ">"),
    ("ans/s", ">"),
    ("ack p50", ">"),
    ("ack p99", ">"),
    ("done p50", ">"),
    ("done p99", ">"),
    ("confirmed/rejected/failed/pending", ">"),
    ("attempts/req", ">"),
    ("new anomalies", ">"),
    ("CPU s", ">"),
    ("peak MiB", ">"),
)


def _figure(value: float | int | None) -> str:
    return "-" if value is None else f"{value:g}"


def summary_rows(runs: list[RunFigures]) -> list[list[str]]:
    rows = []
    for run in runs:
        if run.skipped is not None:
            rows.append([run.scenario, run.variant, "skipped", *[""] * (len(COLUMNS) - 3)])
            continue
        statuses = run.final_statuses
        rows.append(
            [
                run.scenario,
                run.variant,
                str(run.requests_sent),
                _figure(run.throughput_per_s),
                _figure(run.ack_ms.get("p50")),
                _figure(run.ack_ms.get("p99")),
                _figure(run.completion_ms.get("p50")),
                _figure(run.completion_ms.get("p99")),
                "/".join(
                    str(statuses.get(s, 0)) for s in ("CONFIRMED", "REJECTED", "FAILED", "PENDING")
                ),
                _figure(run.mesh.get("attempts_per_request")) if run.mesh else "-",
                str(run.new_anomalies),
                _figure(run.cpu_seconds),
                _figure(run.peak_memory_mib),
            ]
        )
    return rows


def summary_table(runs: list[RunFigures]) -> str:
    rows = summary_rows(runs)
    headers = [name for name, _ in COLUMNS]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = []
    for cells in [headers, ["-" * width for width in widths], *rows]:
        lines.append(
            "  ".join(
                f"{cell:{align}{width}}"
                for cell, width, (_, align) in zip(cells, widths, COLUMNS, strict=True)
            ).rstrip()
        )
    return "\n".join(lines) + "\n(latencies in ms; done = placed -> final)"
