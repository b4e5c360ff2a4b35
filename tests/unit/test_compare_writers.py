"""report.json, report.md, report.html and the summary table carry every figure of every run."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime
from html import escape

import pytest

from shopdemo.compare.charts import bar_chart
from shopdemo.compare.details import LABELS
from shopdemo.compare.figures import RunFigures
from shopdemo.compare.html_report import charts, write_html
from shopdemo.compare.markdown import write_markdown
from shopdemo.compare.report import Comparison, write_json
from shopdemo.compare.summary import summary_table

VARIANTS = ("monolith", "distributed", "event_driven")


def figures(scenario: str, variant: str) -> RunFigures:
    return RunFigures(
        scenario=scenario,
        variant=variant,
        requests_sent=30,
        throughput_per_s=10.0,
        ack_ms={"p50": 4.0, "p95": 9.0, "p99": 12.5},
        completion_ms={"p50": 40.0, "p95": 90.0, "p99": 120.0},
        answers_by_status={"201": 28, "402": 2},
        transport_errors={"timeout": 1},
        orders_placed=30,
        final_statuses={"CONFIRMED": 28, "REJECTED": 2, "FAILED": 0, "PENDING": 0},
        mesh={"attempts": 150, "attempts_per_request": 1.0} if variant == "distributed" else None,
        anomalies_delta={"stuck_pending": 1},
        new_anomalies=1,
        cpu_seconds=1.5,
        peak_memory_mib=64.0,
        notes=["a note"],
    )


@pytest.fixture
def comparison() -> Comparison:
    runs = [figures(s, v) for s in ("baseline", "payment-flaky") for v in VARIANTS]
    runs.append(RunFigures("retry-storm", "monolith", skipped="only the distributed one"))
    return Comparison(datetime(2026, 1, 2, 3, 4, tzinfo=UTC), 10.0, 5.0, runs, ["A sentence."])


def test_report_json_has_every_field_of_every_run_and_how_it_was_run(comparison, tmp_path):
    report = json.loads(write_json(comparison, tmp_path).read_text())
    for key in ("machine", "duration_s", "rate_per_s", "load_model", "caveat", "reading"):
        assert report[key]
    assert report["machine"]["cores"] >= 1
    assert "scheduled send time" in report["load_model"]
    assert len(report["runs"]) == 7
    for run in report["runs"]:
        assert set(RunFigures("s", "v").to_json()) == set(run)


def test_report_md_shows_every_figure_of_every_run(comparison, tmp_path):
    text = write_markdown(comparison, tmp_path).read_text()
    every_figure = text.split("## Every figure")[1]
    for variant in VARIANTS:
        assert f"### baseline, {variant}" in every_figure
    for label in LABELS.values():
        assert every_figure.count(f"| {label} |") == 6
    assert "A sentence." in text and "median of one" in text
    assert "only the distributed one" in text


def test_report_html_is_self_contained_with_charts_and_every_figure(comparison, tmp_path):
    text = write_html(comparison, tmp_path).read_text()
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org", "")
    assert text.count("<svg") == 4
    for variant in VARIANTS:
        assert variant in text
    for label in LABELS.values():
        assert text.count(f"<td>{escape(label)}</td>") == 6
    assert "A sentence." in text and "median of one" in text


def test_every_chart_is_well_formed_svg_with_one_bar_per_measured_run(comparison):
    for chart in charts(comparison):
        root = ElementTree.fromstring(chart)
        assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 6


def test_a_missing_value_is_drawn_as_not_available_and_longer_values_get_longer_bars():
    root = ElementTree.fromstring(
        bar_chart(
            "t <&>", [("a", "monolith", 10.0), ("b", "distributed", 40.0), ("c", "x", None)], "ms"
        )
    )
    widths = [float(rect.get("width")) for rect in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[0] < widths[1]
    assert "n/a" in [text.text for text in root.iter("{http://www.w3.org/2000/svg}text")]


def test_the_summary_table_has_a_row_per_run_and_marks_skipped_ones(comparison):
    lines = summary_table(comparison.runs).splitlines()
    assert len(lines) == 2 + 7 + 1
    assert lines[-2].split()[:3] == ["retry-storm", "monolith", "skipped"]
    assert "12.5" in lines[2] and "28/2/0/0" in lines[2]
