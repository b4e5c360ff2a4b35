"""The loop behind the relay and the consumer: it survives failures and stops promptly."""

from __future__ import annotations

import threading

import pytest

from service_kit.events.background import BackgroundLoop, Backoff


class FlakySession(BackgroundLoop):
    """Fails its first sessions, then works until stopped."""

    def __init__(self, failures: int, restart_backoff: Backoff | None = None):
        super().__init__("flaky", restart_backoff=restart_backoff or Backoff(0.001, 0.01))
        self.failures_left = failures
        self.sessions = 0
        self.failed = threading.Event()

    def _session(self) -> None:
        self.sessions += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            self.failed.set()
            raise ConnectionError("simulated broker outage")
        self._ready.set()
        self._stopping.wait()


def test_a_failed_session_is_started_again_until_one_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = FlakySession(failures=3)
    loop.start()
    try:
        assert loop.wait_ready(timeout=5)
        assert loop.sessions == 4
        restarts = [r for r in caplog.records if "failed; starting again" in r.getMessage()]
        assert len(restarts) == 3
    finally:
        assert loop.stop(timeout=5)
    assert not loop.ready
    assert not loop.running


def test_a_loop_can_be_started_only_once() -> None:
    loop = FlakySession(failures=0)
    loop.start()
    try:
        with pytest.raises(RuntimeError, match="started already"):
            loop.start()
    finally:
        loop.stop(timeout=5)


def test_stopping_a_loop_that_never_started_is_harmless() -> None:
    assert FlakySession(failures=0).stop(timeout=1)


def test_a_stop_ends_a_back_off_wait_at_once() -> None:
    loop = FlakySession(failures=1, restart_backoff=Backoff(60, 60))
    loop.start()
    assert loop.failed.wait(timeout=5)

    assert loop.stop(timeout=2)
    assert loop.sessions == 1


def test_back_off_doubles_up_to_its_maximum_with_at_most_half_taken_off_and_resets() -> None:
    backoff = Backoff(0.1, 0.4)

    delays = [backoff.next_delay() for _ in range(4)]
    backoff.reset()

    for delay, nominal in zip(delays, [0.1, 0.2, 0.4, 0.4], strict=True):
        assert nominal / 2 <= delay <= nominal
    assert backoff.next_delay() <= 0.1


def test_back_off_refuses_a_first_delay_above_its_maximum() -> None:
    with pytest.raises(ValueError, match="0 < first <= maximum"):
        Backoff(5, 1)
