"""A consumer's retry settings are checked when it is made, not when a handler starts failing."""

from __future__ import annotations

import pytest

from service_kit.events import Consumer, Event


def ignore(connection, event: Event) -> None:
    pass


def consumer(**options) -> Consumer:
    return Consumer(
        conninfo="dbname=unused",
        bootstrap_servers="127.0.0.1:1",
        group_id="settings",
        topics=["orders"],
        handler=ignore,
        **options,
    )


def test_the_default_retries_fit_well_within_the_time_between_polls() -> None:
    assert consumer().name == "consumer[settings]"


def test_retries_that_would_outlast_the_time_between_polls_are_refused() -> None:
    with pytest.raises(ValueError, match=r"wait 12\.0 s in all for one message, more than the 5 s"):
        consumer(max_attempts=5, retry_backoff=1.0)


def test_a_consumer_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1, got 0"):
        consumer(max_attempts=0)
