"""Outlier detection for a host with one endpoint, as Envoy's consecutive-5xx detector does it.

- Every upstream result is counted: a 5xx (including the 503 of a failed
  connection and the 504 of a timeout) adds one, anything else resets the run.
- The Nth consecutive 5xx ejects the endpoint at once, if maxEjectionPercent
  allows it: Envoy ejects only while 100 x (ejected + 1) / endpoints <=
  maxEjectionPercent, so a one-endpoint host needs 100 (Envoy's default of 10
  never ejects it).
- Ejection lasts baseEjectionTime x a back-off multiplier that grows by one per
  ejection and shrinks by one per healthy interval (capped at max(300 s,
  baseEjectionTime)); the endpoint comes back at the first interval tick after
  that time, as Envoy checks only on its interval timer.

Time is passed in, so tests can step it; ticks are counted from the detector's
creation, lazily, when the detector is next asked.
"""

from __future__ import annotations

from mesh.policy_model import OutlierPolicy

_DEFAULT_MAX_EJECTION_S = 300.0
_MOST_TICKS_REPLAYED = 1000


class OutlierDetector:
    def __init__(self, policy: OutlierPolicy, now: float):
        self.policy = policy
        self._started_at = now
        self._ticks_done = 0
        self._consecutive_5xx = 0
        self._backoff = 0
        self._ejected_at: float | None = None
        self._unejected_at: float | None = None
        self.ejections = 0

    @property
    def _max_ejection_s(self) -> float:
        return max(_DEFAULT_MAX_EJECTION_S, self.policy.base_ejection_s)

    def is_ejected(self, now: float) -> bool:
        self._run_ticks_until(now)
        return self._ejected_at is not None

    def record(self, status: int, now: float) -> bool:
        """Count one upstream result; True when it ejected the endpoint."""
        self._run_ticks_until(now)
        if status < 500:
            self._consecutive_5xx = 0
            return False
        self._consecutive_5xx += 1
        threshold = self.policy.consecutive_5xx
        if threshold == 0 or self._consecutive_5xx != threshold or self._ejected_at is not None:
            return False
        # Envoy resets the run once it reached the threshold, ejected or not.
        self._consecutive_5xx = 0
        if self.policy.max_ejection_percent < 100:
            return False
        self._ejected_at = now
        self.ejections += 1
        if (
            self._backoff * self.policy.base_ejection_s
            < self._max_ejection_s + self.policy.base_ejection_s
        ):
            self._backoff += 1
        return True

    def _run_ticks_until(self, now: float) -> None:
        interval = self.policy.interval_s
        due = int((now - self._started_at) // interval)
        if due - self._ticks_done > _MOST_TICKS_REPLAYED:
            # Long idle: so many healthy intervals have passed that only the last ones matter.
            self._ticks_done = due - _MOST_TICKS_REPLAYED
        while self._ticks_done < due:
            self._ticks_done += 1
            self._tick(self._started_at + self._ticks_done * interval)

    def _tick(self, at: float) -> None:
        if self._ejected_at is not None:
            ejection_s = min(self.policy.base_ejection_s * self._backoff, self._max_ejection_s)
            if at - self._ejected_at >= ejection_s:
                self._ejected_at = None
                self._unejected_at = at
                self._consecutive_5xx = 0
            return
        if (
            self._unejected_at is not None
            and at - self._unejected_at >= self.policy.interval_s
            and self._backoff > 0
        ):
            self._backoff -= 1
