"""Applying one of the `istio/` files to the running mesh, or going back to the baseline.

The same admin API `shopdemo mesh apply|reset` uses. Only files from the policy folder
can be named (by their path inside it), so the page cannot make the mesh read anything
else. The mesh checks the whole resource before it changes anything: a refused file
leaves the policy in force as it was, and the mesh's reason is shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from shop.errors import Conflict, DependencyFailed, InvalidRequest

# The baseline and the scenarios; istio/kind/ is for a real cluster (mTLS, authorization).
PATTERNS = ("*.yaml", "scenarios/*.yaml")


def list_policies(policy_dir: Path) -> list[str]:
    found = {path for pattern in PATTERNS for path in policy_dir.glob(pattern)}
    return sorted(str(path.relative_to(policy_dir)) for path in found)


def apply_policy(http: httpx.Client, mesh_url: str | None, policy_dir: Path, name: Any) -> dict:
    known = list_policies(policy_dir)
    if not isinstance(name, str) or name not in known:
        raise InvalidRequest(
            f"file must be one of the policies in {policy_dir.name}/ ({len(known)} files),"
            f" got {name!r}",
            "file",
        )
    path = policy_dir / name
    response = _call(
        lambda: http.put(
            f"{_mesh(mesh_url)}/admin/policies",
            params={"source": str(path)},
            content=path.read_bytes(),
            headers={"Content-Type": "application/yaml"},
        )
    )
    return {"applied": name, "mesh": response}


def reset_policies(http: httpx.Client, mesh_url: str | None) -> dict:
    return _call(lambda: http.post(f"{_mesh(mesh_url)}/admin/policies/reset"))


def _mesh(mesh_url: str | None) -> str:
    if mesh_url is None:
        raise Conflict("the console was given no mesh URL (CONSOLE_UNITS has no `mesh`)")
    return mesh_url


def _call(send) -> dict:
    try:
        response = send()
    except httpx.HTTPError as error:
        raise DependencyFailed(f"the mesh does not answer: {error}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = {"detail": response.text}
    if response.status_code >= 400:
        detail = answer.get("detail", answer) if isinstance(answer, dict) else answer
        raise Conflict(f"the mesh refused it ({response.status_code}): {detail}")
    return answer
