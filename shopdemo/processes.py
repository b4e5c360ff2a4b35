"""Background processes that outlive the CLI: start, recognise, stop — by process id only.

A process is recognised by its pid *and* its start time, so a pid that the
system has since given to another program is never signalled.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class ProcessRecord:
    name: str
    pid: int
    started_at: float  # psutil create_time of the process
    log: str

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, object]) -> ProcessRecord:
        return cls(
            name=str(raw["name"]),
            pid=int(raw["pid"]),  # type: ignore[call-overload]
            started_at=float(raw["started_at"]),  # type: ignore[arg-type]
            log=str(raw["log"]),
        )


def start_background(
    name: str, argv: list[str], env: Mapping[str, str], log_path: Path
) -> ProcessRecord:
    """Start argv in a new session, so it outlives the CLI and its terminal's Ctrl-C.

    posix_spawn rather than subprocess.Popen: a Popen object dropped while its
    process still runs warns (ResourceWarning), and these processes are meant to
    keep running. argv[0] must be a path (no PATH search).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    file_actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    pid = os.posix_spawn(argv[0], argv, dict(env), file_actions=file_actions, setsid=True)
    return ProcessRecord(name, pid, psutil.Process(pid).create_time(), str(log_path))


def is_alive(record: ProcessRecord) -> bool:
    try:
        process = psutil.Process(record.pid)
        same = abs(process.create_time() - record.started_at) < 0.01
        return same and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop(record: ProcessRecord, timeout: float = 10.0) -> bool:
    """SIGTERM, then SIGKILL after `timeout`. True if the process was running."""
    if not is_alive(record):
        return False
    os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(record):
            _reap(record.pid)
            return True
        time.sleep(0.05)
    if is_alive(record):
        os.kill(record.pid, signal.SIGKILL)
        while is_alive(record):
            time.sleep(0.05)
    _reap(record.pid)
    return True


def kill_hard(record: ProcessRecord) -> bool:
    """kill -9, as a crash would; the crash scenarios use it."""
    if not is_alive(record):
        return False
    os.kill(record.pid, signal.SIGKILL)
    while is_alive(record):
        time.sleep(0.02)
    _reap(record.pid)
    return True


def _reap(pid: int) -> None:
    # Only our own children leave zombies; for others waitpid fails and that is fine.
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def log_tail(path: str | Path, lines: int = 30) -> str:
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return "(no log yet)"
    return "\n".join(text.splitlines()[-lines:])
