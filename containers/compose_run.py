"""Bringing docker-compose.yml up with podman-compose the way `docker compose up` would.

podman-compose 1.6 ignores `condition: service_healthy` on podman older than 4.6
(this machine has 4.3), and its `--requires` links make podman 4.3 refuse to
start a container whose dependency has exited ("not found in input list"). So
the services are started level by level in depends_on order with `--no-deps`,
and each level is waited for as compose would: healthy, or exited with 0 for a
one-shot. Without systemd, podman has no timer to run healthchecks, so the
waiting runs each container's healthcheck itself (`podman healthcheck run`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from containers.podman import PodmanError, podman, podman_compose

Say = Callable[[str], None]


class ComposeFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.spec: dict[str, Any] = yaml.safe_load(path.read_text())
        self.project: str = self.spec["name"]

    def services(self) -> dict[str, dict[str, Any]]:
        """The services `up` starts without a profile."""
        return {
            name: service
            for name, service in self.spec["services"].items()
            if not service.get("profiles")
        }

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    def containers(self) -> list[str]:
        return [self.container(name) for name in self.services()]

    def host_ports(self) -> list[int]:
        ports = []
        for service in self.services().values():
            ports += [int(str(entry).rpartition(":")[0]) for entry in service.get("ports", [])]
        return sorted(ports)

    def volumes(self) -> list[str]:
        return [f"{self.project}_{name}" for name in self.spec.get("volumes", {})]

    def network(self) -> str:
        return f"{self.project}_default"

    def pod(self) -> str:
        return f"pod_{self.project}"

    def app_image(self) -> str:
        images = {s["image"] for s in self.spec["services"].values() if "build" in s}
        if len(images) != 1:
            raise PodmanError(f"expected one image built from the Dockerfile, found {images}")
        return images.pop()

    def start_levels(self) -> list[list[str]]:
        """Services grouped so that each group depends only on earlier groups."""
        pending = {name: set(s.get("depends_on", {})) for name, s in self.services().items()}
        levels: list[list[str]] = []
        started: set[str] = set()
        while pending:
            ready = sorted(name for name, needs in pending.items() if needs <= started)
            if not ready:
                raise PodmanError(f"depends_on has a cycle among {sorted(pending)}")
            levels.append(ready)
            started.update(ready)
            for name in ready:
                del pending[name]
        return levels

    def is_one_shot(self, service: str) -> bool:
        return self.spec["services"][service].get("restart") == "no"


def up(compose: ComposeFile, say: Say, timeout_per_level: float = 240) -> None:
    for level in compose.start_levels():
        started = time.monotonic()
        podman_compose(compose.path, "up", "-d", "--no-deps", *level, timeout=300)
        for service in level:
            _wait_for(compose, service, started + timeout_per_level)
        say(f"  {', '.join(level)}: ready in {time.monotonic() - started:.1f} s")


def _wait_for(compose: ComposeFile, service: str, deadline: float) -> None:
    container = compose.container(service)
    while True:
        status, exit_code = _state(container)
        if compose.is_one_shot(service):
            if status in ("exited", "stopped"):
                if exit_code != 0:
                    raise PodmanError(f"{service} exited with {exit_code}\n{logs(container)}")
                return
        elif status in ("exited", "stopped"):
            raise PodmanError(f"{service} stopped (exit {exit_code})\n{logs(container)}")
        elif status == "running" and _healthy(container):
            return
        if time.monotonic() > deadline:
            raise PodmanError(f"{service} was not ready in time ({status})\n{logs(container)}")
        time.sleep(1)


def _state(container: str) -> tuple[str, int]:
    output = podman(
        "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container
    ).stdout
    status, exit_code = output.split()
    return status, int(exit_code)


def _healthy(container: str) -> bool:
    return podman("healthcheck", "run", container, check=False).returncode == 0


def logs(container: str, lines: int = 30) -> str:
    result = podman("logs", "--tail", str(lines), container, check=False)
    return f"--- last lines of {container} ---\n{(result.stdout + result.stderr).strip()}"
