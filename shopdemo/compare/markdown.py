"""report.md: the comparison as Markdown, for a README, a wiki or a pull request."""

from __future__ import annotations

from pathlib import Path

from shopdemo.compare.details import run_details
from shopdemo.compare.report import CAVEAT, RESOURCES_STATEMENT, Comparison
from shopdemo.compare.scenarios import SCENARIOS
from shopdemo.compare.summary import COLUMNS, summary_rows
from shopdemo.compare.traffic import LOAD_MODEL, MIX_STATEMENT


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(comparison: Comparison) -> str:
    lines = [
        f"# shopdemo compare, {comparison.started_at:%Y-%m-%d %H:%M} UTC",
        "",
        f"- machine: {comparison.cores} cores, CPython {comparison.python}",
        f"- each run: {comparison.duration_s:g} s at {comparison.rate_per_s:g} orders/s,"
        " one variant at a time",
        f"- load model: {LOAD_MODEL}",
        f"- traffic: {MIX_STATEMENT}",
        f"- resources: {RESOURCES_STATEMENT}",
        f"- caveat: {CAVEAT}",
        "",
        "## Reading",
        "",
        *[f"- {sentence}" for sentence in comparison.reading],
        "",
        "## Summary",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "| " + " | ".join("---" if align == "<" else "---:" for _, align in COLUMNS) + " |",
        *[
            "| " + " | ".join(_cell(cell) for cell in row) + " |"
            for row in summary_rows(comparison.runs)
        ],
        "",
        "Latencies in ms; done = placed -> final; attempts/req = mesh upstream attempts per"
        " downstream request (1 without retries).",
        "",
        "## Scenarios",
        "",
    ]
    for name in comparison.scenarios:
        scenario = SCENARIOS.get(name)
        lines.append(f"- `{name}`: {scenario.description if scenario else ''}")
        if scenario:
            lines += [f"  - {variant}: {text}" for variant, text in scenario.expectation.items()]
    lines += ["", "## Every figure", ""]
    for run in comparison.runs:
        lines += [f"### {run.scenario}, {run.variant}", "", "| figure | value |", "| --- | --- |"]
        lines += [f"| {label} | {_cell(text)} |" for label, text in run_details(run)]
        lines.append("")
    return "\n".join(lines)


def write_markdown(comparison: Comparison, folder: Path) -> Path:
    path = folder / "report.md"
    path.write_text(markdown(comparison))
    return path
