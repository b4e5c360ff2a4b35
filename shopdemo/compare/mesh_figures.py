"""The mesh's counters before and after a run, and what the difference says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from shopdemo.stack import LauncherError

COUNTED = ("requests", "attempts", "retries", "per_try_timeouts", "overflows")


def read_counters(mesh_url: str) -> dict[str, int]:
    """The mesh's counters summed over every route (injected faults summed over kinds)."""
    response = httpx.get(f"{mesh_url}/admin/counters", timeout=10)
    response.raise_for_status()
    return summed_counters(response.json())


def summed_counters(counters: dict[str, Any]) -> dict[str, int]:
    routes = counters["routes"]
    summed = {name: sum(int(route[name]) for route in routes) for name in COUNTED}
    summed["injected_faults"] = sum(int(n) for route in routes for n in route["faults"].values())
    return summed


def mesh_delta(before: dict[str, int], after: dict[str, int], orders: int) -> dict[str, Any]:
    """What the mesh did during a run; per order and per downstream request where it helps.

    Attempts per order counts every hop (ingress -> order, then order -> each of four
    services), so about 5 even without a retry; attempts per request is 1.0 without
    retries and grows with every retried try.
    """
    delta = {name: after[name] - before[name] for name in before}
    delta["attempts_per_order"] = round(delta["attempts"] / orders, 2) if orders else None
    delta["attempts_per_request"] = (
        round(delta["attempts"] / delta["requests"], 2) if delta["requests"] else None
    )
    return delta


def reset_policies(mesh_url: str) -> None:
    httpx.post(f"{mesh_url}/admin/policies/reset", timeout=10).raise_for_status()


def apply_file(mesh_url: str, path: Path) -> None:
    response = httpx.put(
        f"{mesh_url}/admin/policies",
        params={"source": str(path)},
        content=path.read_bytes(),
        headers={"Content-Type": "application/yaml"},
        timeout=10,
    )
    if response.status_code >= 400:
        raise LauncherError(
            f"the mesh refused {path.name} ({response.status_code}): {response.text}"
        )
