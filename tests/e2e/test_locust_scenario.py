"""The workshop's Locust scenario runs headless against every variant without a failure."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from shopdemo.units import VARIANTS
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_locust_scenario_runs_against_a_variant_with_no_failure(stack, variant, tmp_path):
    # A subprocess: Locust patches the standard library (gevent) when it is imported.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "loadtests" / "locustfile.py"),
            "--host",
            stack.variants[variant],
            "--headless",
            "--users",
            "5",
            "--spawn-rate",
            "5",
            "--run-time",
            "4s",
            "--csv",
            str(tmp_path / "run"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    with open(tmp_path / "run_stats.csv") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    total = rows["Aggregated"]
    assert int(total["Request Count"]) >= 10
    assert int(total["Failure Count"]) == 0
    assert int(rows["POST /orders (good card)"]["Request Count"]) > 0
