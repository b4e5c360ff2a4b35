"""report.html: one self-contained page (inline CSS and SVG, no script, no external asset)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from shopdemo.compare.charts import bar_chart
from shopdemo.compare.details import run_details
from shopdemo.compare.report import CAVEAT, RESOURCES_STATEMENT, Comparison
from shopdemo.compare.scenarios import SCENARIOS
from shopdemo.compare.summary import COLUMNS, summary_rows
from shopdemo.compare.traffic import LOAD_MODEL, MIX_STATEMENT

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child, td.text { text-align: left; }
.charts svg { display: block; margin: 1.5em 0; }
"""


def charts(comparison: Comparison) -> list[str]:
    measured = [run for run in comparison.runs if run.skipped is None]

    def bars(pick) -> list[tuple[str, str, float | None]]:
        return [(f"{run.scenario} / {run.variant}", run.variant, pick(run)) for run in measured]

    return [
        bar_chart("acknowledgement p99 (ms)", bars(lambda run: run.ack_ms.get("p99")), "ms"),
        bar_chart(
            "completion p99, placed -> final (ms)",
            bars(lambda run: run.completion_ms.get("p99")),
            "ms",
        ),
        bar_chart("new anomalies in the databases", bars(lambda run: run.new_anomalies), ""),
        bar_chart("CPU seconds of the variant's processes", bars(lambda r: r.cpu_seconds), "s"),
    ]


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def html(comparison: Comparison) -> str:
    title = f"shopdemo compare, {comparison.started_at:%Y-%m-%d %H:%M} UTC"
    facts = [
        f"machine: {comparison.cores} cores, CPython {comparison.python}",
        f"each run: {comparison.duration_s:g} s at {comparison.rate_per_s:g} orders/s,"
        " one variant at a time",
        f"load model: {LOAD_MODEL}",
        f"traffic: {MIX_STATEMENT}",
        f"resources: {RESOURCES_STATEMENT}",
        f"caveat: {CAVEAT}",
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        "<ul>" + "".join(f"<li>{escape(fact)}</li>" for fact in facts) + "</ul>",
        "<h2>Reading</h2>",
        "<ul>" + "".join(f"<li>{escape(s)}</li>" for s in comparison.reading) + "</ul>",
        "<h2>Summary</h2>",
        _table([name for name, _ in COLUMNS], summary_rows(comparison.runs)),
        "<p>Latencies in ms; done = placed -> final; attempts/req = mesh upstream attempts per"
        " downstream request (1 without retries).</p>",
        '<h2>Charts</h2><div class="charts">',
        *charts(comparison),
        "</div><h2>Scenarios</h2><ul>",
    ]
    for name in comparison.scenarios:
        scenario = SCENARIOS.get(name)
        expectations = "".join(
            f"<li>{escape(variant)}: {escape(text)}</li>"
            for variant, text in (scenario.expectation.items() if scenario else [])
        )
        description = escape(scenario.description) if scenario else ""
        parts.append(f"<li><code>{escape(name)}</code>: {description}<ul>{expectations}</ul></li>")
    parts.append("</ul><h2>Every figure</h2>")
    for run in comparison.runs:
        parts.append(f"<h3>{escape(run.scenario)}, {escape(run.variant)}</h3>")
        parts.append(_table(["figure", "value"], [list(pair) for pair in run_details(run)]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(comparison: Comparison, folder: Path) -> Path:
    path = folder / "report.html"
    path.write_text(html(comparison))
    return path
