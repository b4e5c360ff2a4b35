"""A loop in a background thread that keeps going until stopped: the shape of relay and consumer.

Both hold connections (PostgreSQL, Kafka) that can break at any time. The loop runs a
*session* (open connections, work until told to stop) and, when a session fails, logs why, waits
with back-off and opens a new one, so that a broker or database restart never needs a service
restart. Nothing escapes the thread: an uncaught exception would end it silently.
"""

from __future__ import annotations

import logging
import random
import threading
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class Backoff:
    """Delays that double from `first` up to `maximum`, each shortened by up to half at random,
    so that many clients retrying after one outage do not all return at the same moment."""

    def __init__(self, first: float, maximum: float):
        if not 0 < first <= maximum:
            raise ValueError(f"back-off needs 0 < first <= maximum, got {first} and {maximum}")
        self._first = first
        self._maximum = maximum
        self._next = first

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._maximum, self._next * 2)
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self._next = self._first


class BackgroundLoop(ABC):
    """Subclasses implement _session(): open what they need, set self._ready once they can do
    their work, and return when self._stopping is set. Raising ends the session; the loop then
    waits and starts a new one."""

    def __init__(self, name: str, restart_backoff: Backoff | None = None):
        self._name = name
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._restart_backoff = restart_backoff or Backoff(0.5, 10.0)
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def ready(self) -> bool:
        """Connected and doing its work: what a service's /readyz reports."""
        return self._ready.is_set() and self.running

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self._name} was started already; make a new one to restart")
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout) and self.running

    def stop(self, timeout: float = 15.0) -> bool:
        """Asks the loop to finish its current step and close; True if it ended within timeout.
        A thread still running after that is a daemon: it cannot keep the process alive."""
        self._stopping.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("%s did not stop within %.1f s", self._name, timeout)
            return False
        return True

    @abstractmethod
    def _session(self) -> None: ...

    def _pause(self, seconds: float) -> bool:
        """Sleeps unless asked to stop; True if asked to stop."""
        return self._stopping.wait(seconds)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._session()
            except Exception:
                if self._ready.is_set():
                    # It had been working: this is a new outage, not the last one going on.
                    self._restart_backoff.reset()
                self._ready.clear()
                delay = self._restart_backoff.next_delay()
                log.exception("%s failed; starting again in %.1f s", self._name, delay)
                self._pause(delay)
        self._ready.clear()
