"""The plain-language reading says what the figures say, quoting them, and nothing more."""

from __future__ import annotations

from shopdemo.compare.figures import RunFigures
from shopdemo.compare.reading import reading


def run(variant: str, scenario: str = "baseline", **figures) -> RunFigures:
    defaults = dict(
        requests_sent=100,
        orders_placed=100,
        ack_ms={"p50": 5.0, "p95": 8.0, "p99": 10.0},
        completion_ms={"p50": 5.0, "p95": 8.0, "p99": 10.0},
        final_statuses={"CONFIRMED": 100, "REJECTED": 0, "FAILED": 0, "PENDING": 0},
    )
    defaults.update(figures)
    return RunFigures(scenario=scenario, variant=variant, **defaults)


def test_it_names_the_variant_that_answered_fastest_and_quotes_every_p99():
    sentences = reading(
        [
            run("monolith", ack_ms={"p99": 14.0}),
            run("distributed", ack_ms={"p99": 56.0}),
            run("event_driven", ack_ms={"p99": 11.7}),
        ]
    )
    assert (
        "baseline: event_driven answered fastest, ack p99 12 ms"
        " (vs monolith 14 ms, distributed 56 ms); it confirmed 100 of its 100 orders." in sentences
    )


def test_it_names_the_variant_that_finished_orders_fastest():
    sentences = reading(
        [
            run("monolith", completion_ms={"p99": 7.1}),
            run("event_driven", completion_ms={"p99": 152.0}),
        ]
    )
    assert any(
        s.startswith("baseline: monolith finished orders fastest") and "7.1 ms" in s
        for s in sentences
    )


def test_it_says_where_retries_multiplied_the_load_with_the_mesh_figures():
    mesh = {
        "retries": 30,
        "attempts_per_request": 1.3,
        "attempts_per_order": 6.5,
        "per_try_timeouts": 12,
    }
    sentences = reading([run("distributed", "payment-slow", mesh=mesh)])
    retry = [s for s in sentences if "retried" in s]
    assert len(retry) == 1
    assert "30 times" in retry[0] and "1.3 upstream attempts" in retry[0]
    assert "6.5 per order" in retry[0] and "12 per-try timeouts" in retry[0]


def test_it_says_nothing_about_retries_when_the_mesh_made_none():
    mesh = {"retries": 0, "attempts_per_request": 1.0, "attempts_per_order": 5.0}
    assert not [s for s in reading([run("distributed", mesh=mesh)]) if "retried" in s]


def test_it_names_each_new_anomaly_kind_with_its_count_and_the_clean_variants():
    sentences = reading(
        [
            run(
                "distributed",
                "retry-storm",
                anomalies_delta={"not_confirmed_but_charged": 12, "stuck_pending": -1},
                new_anomalies=12,
            ),
            run("monolith", "retry-storm"),
        ]
    )
    assert (
        "retry-storm, distributed: 12 new anomalies in the databases"
        " (not_confirmed_but_charged 12)." in sentences
    )
    assert "No new anomaly in any run of: monolith." in sentences


def test_it_says_no_run_left_an_anomaly_only_when_none_did():
    sentences = reading([run("monolith"), run("event_driven")])
    assert any(s.startswith("No run left a new anomaly") for s in sentences)


def test_it_tells_what_the_crash_left_behind():
    sentences = reading(
        [
            run(
                "event_driven",
                "crash",
                orders_placed=50,
                still_pending=3,
                settle_waited_s=60.0,
                final_statuses={"CONFIRMED": 47, "PENDING": 3},
            )
        ]
    )
    assert (
        "crash, event_driven: after the kill and the restart, 3 of 50 orders were still"
        " pending 60 s after the load ended, with 0 new anomalies; 47 were confirmed." in sentences
    )


def test_it_counts_failed_orders_and_unanswered_requests():
    sentences = reading(
        [
            run(
                "monolith",
                "payment-flaky",
                final_statuses={"CONFIRMED": 70, "FAILED": 30},
                transport_errors={"timeout": 4},
            )
        ]
    )
    assert (
        "payment-flaky, monolith: 30 of 100 orders ended FAILED;"
        " 4 of 100 requests got no answer (timeout 4)." in sentences
    )


def test_it_explains_a_skipped_run_and_compares_nothing_it_did_not_measure():
    sentences = reading(
        [run("distributed", "retry-storm"), RunFigures("retry-storm", "monolith", skipped="why")]
    )
    assert "retry-storm, monolith: not run, why." in sentences
    assert not [s for s in sentences if "fastest" in s]


def test_the_fastest_variant_is_said_to_confirm_only_the_orders_it_confirmed():
    sentences = reading(
        [
            run(
                "distributed",
                "payment-slow",
                completion_ms={"p99": 991.0},
                final_statuses={"CONFIRMED": 0, "FAILED": 30},
                orders_placed=30,
            ),
            run("monolith", "payment-slow", completion_ms={"p99": 2484.0}),
        ]
    )
    assert (
        "payment-slow: distributed finished orders fastest, placed -> final p99 991 ms"
        " (vs monolith 2484 ms); it confirmed 0 of its 30 orders." in sentences
    )


def test_a_latency_that_was_not_measured_is_left_out_rather_than_guessed():
    sentences = reading(
        [
            run("monolith", completion_ms={"p99": None}),
            run("distributed", completion_ms={"p99": None}),
        ]
    )
    assert not [s for s in sentences if "finished orders fastest" in s]
