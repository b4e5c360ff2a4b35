"""`shopdemo` as a user drives it: up, status, logs, fault, down."""

from __future__ import annotations

import json
import socket

import httpx
import psutil
import pytest

from shopdemo.units import VARIANTS, find_unit
from tests.conftest import run_shopdemo, stack_env
from tests.e2e.client import order_body, place

pytestmark = pytest.mark.e2e


def test_status_json_names_every_running_variant_with_its_base_url(stack):
    status = json.loads(stack.shopdemo("status", "--json").stdout)
    assert set(VARIANTS) <= set(status)
    for variant in VARIANTS:
        assert httpx.get(f"{status[variant]}/healthz").status_code == 200


def test_a_second_up_is_harmless_and_starts_nothing_new(stack):
    pids = {p.pid for p in psutil.process_iter()}
    again = stack.shopdemo("up")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    status = json.loads(stack.shopdemo("status", "--json").stdout)
    assert status == {**stack.variants, "console": stack.console}
    new = {p.pid for p in psutil.process_iter()} - pids
    assert not [p for p in new if psutil.pid_exists(p) and "monolith" in " ".join(_cmdline(p))]


def _alive(pid):
    """Running, as opposed to gone or a zombie (here PID 1 does not always reap orphans)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(pid):
    try:
        return psutil.Process(pid).cmdline()
    except psutil.Error:
        return []


def test_logs_show_a_units_output(stack):
    logs = stack.shopdemo("logs", "postgres")
    assert logs.returncode == 0 and logs.stdout.strip()
    missing = stack.shopdemo("logs", "no-such-unit")
    assert missing.returncode == 1 and "no log for" in missing.stderr


def test_a_payment_fault_applies_to_every_variant_and_clears(stack):
    failing = stack.shopdemo("fault", "payment", "--failure-rate", "1")
    assert failing.returncode == 0, failing.stderr
    try:
        for url in stack.variants.values():
            with httpx.Client(base_url=url, timeout=30) as client:
                assert place(client, order_body()).order["status"] == "FAILED"
    finally:
        assert stack.shopdemo("fault", "clear").returncode == 0
    for url in stack.variants.values():
        with httpx.Client(base_url=url, timeout=30) as client:
            assert place(client, order_body()).order["status"] == "CONFIRMED"


def test_a_fault_out_of_range_is_refused_and_changes_nothing(stack):
    refused = stack.shopdemo("fault", "payment", "--failure-rate", "1.5")
    assert refused.returncode == 1 and "failure_rate" in refused.stderr
    units = json.loads(stack.shopdemo("status", "--json", "--units").stdout)
    holders = [url for name, url in units.items() if find_unit(name).payment_processor]
    assert len(holders) == len(VARIANTS)
    for url in holders:
        assert httpx.get(f"{url}/admin/payment-fault").json()["failure_rate"] == 0


def test_a_port_in_use_is_a_clear_error_and_starts_nothing(tmp_path):
    env = stack_env(tmp_path)
    taken = int(env["SHOPDEMO_PORT_BASE"]) + VARIANTS["monolith"].public_offset
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        result = run_shopdemo(env, "up", "--variant", "monolith", timeout=30)
    try:
        assert result.returncode == 1
        assert f"port {taken}" in result.stderr and "already in use" in result.stderr
        assert json.loads(run_shopdemo(env, "status", "--json").stdout) == {}
    finally:
        run_shopdemo(env, "down")


def test_down_stops_what_up_started_and_nothing_else(tmp_path):
    env = stack_env(tmp_path)
    bystander = psutil.Popen(["sleep", "60"])
    try:
        assert run_shopdemo(env, "up", "--variant", "monolith", timeout=120).returncode == 0
        state = json.loads((tmp_path / "state.json").read_text())
        pids = [record["pid"] for record in state["units"].values()] + [state["postgres"]["pid"]]
        assert all(_alive(pid) for pid in pids)
        down = run_shopdemo(env, "down")
        assert down.returncode == 0, down.stderr
        assert not any(_alive(pid) for pid in pids)
        assert bystander.is_running()
    finally:
        bystander.kill()
        bystander.wait()
        run_shopdemo(env, "down")
