"""The console as a process without a stack: the page, reports, and what it refuses or lacks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shopdemo.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("reports")
    for name, scenarios in (("20260101T100000Z", ["baseline"]), ("20260102T100000Z", ["crash"])):
        folder = tmp_path / name
        folder.mkdir()
        report = {
            "started_at": name,
            "duration_s": 10.0,
            "rate_per_s": 10.0,
            "scenarios": {scenario: "" for scenario in scenarios},
            "variants": ["monolith"],
            "reading": ["monolith answered fastest"],
        }
        (folder / "report.json").write_text(json.dumps(report))
        (folder / "report.html").write_text("<h1>comparison</h1>")
    (tmp_path / "screenshots").mkdir()  # not a report: no report.json
    return tmp_path


@pytest.fixture(scope="module")
def client(reports_dir):
    """`python -m console` as compose would run it: no launcher, one variant nobody serves."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPDEMO_", "CONSOLE_"))}
    env |= {
        "PORT": str(port),
        "CONSOLE_VARIANTS": f"monolith=http://127.0.0.1:{free_port()}",
        "CONSOLE_REPORTS_DIR": str(reports_dir),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "console"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            _wait_ready(client, process)
            yield client
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    # uvicorn shuts down cleanly on SIGTERM, then re-raises it: -15 is a clean stop too.
    assert process.returncode in (0, -signal.SIGTERM) and "Traceback" not in errors, errors


def _wait_ready(client: httpx.Client, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the console was not ready within 20 s")


def test_the_page_its_script_and_its_stylesheet_are_served_from_the_console(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/console.js" in page.text
    for asset in ("/static/console.js", "/static/console.css"):
        assert client.get(asset).status_code == 200
    # Offline: nothing is loaded from another host.
    assert "http://" not in page.text and "https://" not in page.text


def test_a_variant_that_does_not_answer_is_listed_as_not_running(client):
    state = client.get("/api/state").json()
    assert [(c["variant"], c["running"]) for c in state["columns"]] == [("monolith", False)]


def test_reports_are_listed_newest_first_and_one_opens(client):
    listed = client.get("/api/reports").json()
    assert [r["name"] for r in listed] == ["20260102T100000Z", "20260101T100000Z"]
    assert listed[0]["scenarios"] == ["crash"] and listed[0]["files"] == [
        "report.html",
        "report.json",
    ]
    opened = client.get("/reports/20260101T100000Z/report.html")
    assert opened.status_code == 200 and "<h1>comparison</h1>" in opened.text


@pytest.mark.parametrize(
    "path", ["/reports/20260101T100000Z/report.md", "/reports/..%2F..%2Fpyproject.toml/report.json"]
)
def test_only_a_listed_reports_own_files_are_served(client, path):
    assert client.get(path).status_code == 404


def test_without_the_launcher_kill_and_restart_say_why_they_are_unavailable(client):
    assert client.get("/api/state").json()["launcher"]["available"] is False
    refused = client.post("/api/units/monolith/kill")
    assert refused.status_code == 409
    assert "docker compose kill" in refused.json()["detail"]


def test_without_a_mesh_url_a_policy_cannot_be_applied_and_the_answer_says_so(client):
    refused = client.post("/api/mesh/apply", json={"file": "virtual-service-payment.yaml"})
    assert refused.status_code == 409 and "no mesh URL" in refused.json()["detail"]
    unknown = client.post("/api/mesh/apply", json={"file": "../pyproject.toml"})
    assert unknown.status_code == 422 and unknown.json()["field"] == "file"


def test_actions_on_no_running_variant_are_refused_with_a_reason(client):
    order = {"items": [{"sku": "MUG-LOGO", "quantity": 1}], "payment_token": "tok_ok"}
    placed = client.post("/api/orders", json={"variants": "all", "order": order})
    assert placed.status_code == 409 and "no variant is running" in placed.json()["detail"]
    bad = client.post("/api/orders", json={"variants": "all", "order": {**order, "items": []}})
    assert bad.status_code == 422 and bad.json()["field"] == "items"
    assert client.post("/api/orders", json={"order": order, "extra": 1}).status_code == 422
