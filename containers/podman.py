"""Running podman and podman-compose with the project's containers.conf.

This machine kind has no Docker engine; Debian's podman runs containers once it
is told to use runc, cgroupfs and no default ulimits. Those settings live in
containers/containers.conf, and every podman call here points CONTAINERS_CONF
at it, so nothing under /etc changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CONTAINERS_CONF = Path(__file__).resolve().with_name("containers.conf")


class PodmanError(RuntimeError):
    pass


def environment() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def missing_tools() -> list[str]:
    needed = ("podman", "runc", "debootstrap")
    return [tool for tool in needed if shutil.which(tool) is None]


def podman(
    *args: str, check: bool = True, timeout: float | None = None, quiet: bool = True
) -> subprocess.CompletedProcess[str]:
    """podman ARGS; its output is captured (and shown on failure) unless quiet is False."""
    return _run(["podman", *args], check=check, timeout=timeout, quiet=quiet)


def podman_compose(
    compose_file: Path, *args: str, check: bool = True, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    # podman-compose is installed into the same virtualenv as the interpreter running this.
    command = [sys.executable, "-m", "podman_compose", "-f", str(compose_file), *args]
    return _run(command, check=check, timeout=timeout, quiet=True, cwd=compose_file.parent)


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def lines(*args: str) -> list[str]:
    """The non-empty output lines of a podman query such as `ps --format {{.Names}}`."""
    output = podman(*args).stdout
    return [line.strip() for line in output.splitlines() if line.strip()]


def _run(
    command: list[str],
    check: bool,
    timeout: float | None,
    quiet: bool,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        env=environment(),
        cwd=cwd,
        text=True,
        capture_output=quiet,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        shown = " ".join(command[:6]) + (" ..." if len(command) > 6 else "")
        output = ((result.stdout or "") + (result.stderr or "")).strip()
        raise PodmanError(f"`{shown}` exited with {result.returncode}\n{output[-4000:]}")
    return result
