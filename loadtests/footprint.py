"""How much memory and CPU a set of processes (and their children) use."""

from __future__ import annotations

import psutil


def _tree(pids: list[int]) -> list[psutil.Process]:
    processes = []
    for pid in pids:
        try:
            root = psutil.Process(pid)
            processes += [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return processes


def proportional_memory_bytes(pids: list[int]) -> int:
    """PSS: shared pages (PostgreSQL's shared buffers) are split between the processes
    that map them, so the sum is what the stack really occupies, not a multiple of it."""
    total = 0
    for process in _tree(pids):
        try:
            total += process.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for process in _tree(pids):
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total
