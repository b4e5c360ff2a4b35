"""`shopdemo mesh ...`: change the running mesh's Istio policy, and read its counters."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from shopdemo.config import LauncherConfig
from shopdemo.stack import LauncherError, Say, unit_records


def mesh_url(config: LauncherConfig) -> str:
    record = unit_records(config).get("mesh")
    if record is None or not record[2]:
        raise LauncherError(
            "the mesh is not running; start it with `shopdemo up --variant distributed`"
        )
    return record[1]


def _answer(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise LauncherError(f"the mesh refused it ({response.status_code}): {detail}")
    return response.json()


def apply_policy(config: LauncherConfig, path: Path, say: Say) -> None:
    if not path.is_file():
        raise LauncherError(f"{path}: no such file")
    with httpx.Client(timeout=10) as client:
        applied = _answer(
            client.put(
                f"{mesh_url(config)}/admin/policies",
                content=path.read_bytes(),
                headers={"Content-Type": "application/yaml"},
            )
        )
    say(f"applied {path}: {json.dumps(applied)}")


def reset_policies(config: LauncherConfig, say: Say) -> None:
    with httpx.Client(timeout=10) as client:
        _answer(client.post(f"{mesh_url(config)}/admin/policies/reset"))
    say("mesh policies reset to the files in istio/")


def show_counters(config: LauncherConfig, say: Say) -> None:
    with httpx.Client(timeout=10) as client:
        say(json.dumps(_answer(client.get(f"{mesh_url(config)}/admin/counters")), indent=2))
