"""CPU seconds and peak memory of one variant's processes while a run goes on.

A thread samples every unit of the variant every half second: its CPU time (with
its children's) and the variants' summed PSS. The pids are read from the state
file at each sample, so a unit that the crash scenario kills and restarts is
followed; its CPU time until its last sample before the kill is kept, what it
used in the last half second before dying is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from loadtests.footprint import cpu_seconds, proportional_memory_bytes
from shopdemo.processes import is_alive
from shopdemo.state import StackState
from shopdemo.units import VARIANTS

SAMPLE_EVERY_S = 0.5

# (unit name, pid, start time): a restarted unit is a new process with its own CPU clock.
ProcessKey = tuple[str, int, float]


def variant_processes(state_file, variant: str) -> dict[ProcessKey, int]:
    """The live unit processes of `variant`, keyed so that a restart is a new key."""
    state = StackState.load(state_file)
    processes = {}
    for unit in VARIANTS[variant].units:
        record = state.units.get(unit.name)
        if record is not None and is_alive(record):
            processes[(record.name, record.pid, record.started_at)] = record.pid
    return processes


class ResourceSampler:
    """Start before the load, stop after it; then read cpu_seconds and peak_memory_bytes."""

    def __init__(
        self,
        list_processes: Callable[[], dict[ProcessKey, int]],
        every_s: float = SAMPLE_EVERY_S,
    ) -> None:
        self._list_processes = list_processes
        self._every_s = every_s
        self._first: dict[ProcessKey, float] = {}
        self._last: dict[ProcessKey, float] = {}
        self._started_with: set[ProcessKey] = set()
        self.peak_memory_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="compare-sampler", daemon=True)

    def start(self) -> None:
        self._started_with = set(self._sample())
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def cpu_seconds(self) -> float:
        """CPU used during the run: processes alive at the start count from their first
        sample; processes started during the run (a restart) count from zero."""
        return sum(
            last - (self._first[key] if key in self._started_with else 0.0)
            for key, last in self._last.items()
        )

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self._sample()

    def _sample(self) -> dict[ProcessKey, int]:
        processes = self._list_processes()
        for key, pid in processes.items():
            used = cpu_seconds([pid])
            self._first.setdefault(key, used)
            self._last[key] = used
        memory = proportional_memory_bytes(list(processes.values()))
        self.peak_memory_bytes = max(self.peak_memory_bytes, memory)
        return processes
