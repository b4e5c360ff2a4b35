"""A plain-language reading of the figures: sentences a workshop can put on a slide.

Every sentence is built from the figures and quotes the numbers it rests on; a
sentence whose figures are missing is left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable

from shopdemo.compare.figures import RunFigures


def reading(runs: Iterable[RunFigures]) -> list[str]:
    measured = [run for run in runs if run.skipped is None]
    sentences: list[str] = []
    for scenario in dict.fromkeys(run.scenario for run in measured):
        in_scenario = [run for run in measured if run.scenario == scenario]
        sentences += _fastest(scenario, in_scenario, "ack_ms", "answered fastest", "ack")
        sentences += _fastest(
            scenario, in_scenario, "completion_ms", "finished orders fastest", "placed -> final"
        )
    sentences += _failures(measured)
    sentences += _retries(measured)
    sentences += _anomalies(measured)
    sentences += _crash(measured)
    sentences += _skipped(run for run in runs if run.skipped is not None)
    return sentences


def _ms(value: float) -> str:
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _fastest(scenario: str, runs: list[RunFigures], field: str, verb: str, label: str) -> list[str]:
    with_p99 = [(getattr(run, field).get("p99"), run.variant) for run in runs]
    with_p99 = [(p99, variant) for p99, variant in with_p99 if p99 is not None]
    if len(with_p99) < 2:
        return []
    with_p99.sort()
    (best, winner), others = with_p99[0], with_p99[1:]
    compared = ", ".join(f"{variant} {_ms(p99)}" for p99, variant in others)
    # Fast is not good when it is fast failing: say how many of the winner's orders went through.
    won = next(run for run in runs if run.variant == winner)
    confirmed = won.final_statuses.get("CONFIRMED", 0)
    return [
        f"{scenario}: {winner} {verb}, {label} p99 {_ms(best)} (vs {compared});"
        f" it confirmed {confirmed} of its {won.orders_placed} orders."
    ]


def _failures(runs: list[RunFigures]) -> list[str]:
    sentences = []
    for run in runs:
        failed = run.final_statuses.get("FAILED", 0)
        errors = sum(run.transport_errors.values())
        if not run.orders_placed and not errors:
            continue
        parts = []
        if failed:
            parts.append(f"{failed} of {run.orders_placed} orders ended FAILED")
        if run.still_pending and run.scenario != "crash":
            parts.append(
                f"{run.still_pending} orders were still pending {run.settle_waited_s:g} s"
                " after the load ended"
            )
        if errors:
            kinds = ", ".join(f"{kind} {n}" for kind, n in run.transport_errors.items())
            parts.append(f"{errors} of {run.requests_sent} requests got no answer ({kinds})")
        if parts:
            sentences.append(f"{run.scenario}, {run.variant}: " + "; ".join(parts) + ".")
    return sentences


def _retries(runs: list[RunFigures]) -> list[str]:
    sentences = []
    for run in runs:
        mesh = run.mesh
        if not mesh or not mesh.get("retries"):
            continue
        sentences.append(
            f"{run.scenario}, {run.variant}: the mesh retried {mesh['retries']} times: on average"
            f" each request through it became {mesh['attempts_per_request']} upstream attempts"
            f" ({mesh['attempts_per_order']} per order placed, {mesh['per_try_timeouts']}"
            " per-try timeouts)."
        )
    return sentences


def _anomalies(runs: list[RunFigures]) -> list[str]:
    with_anomalies = [run for run in runs if run.new_anomalies > 0]
    if not with_anomalies:
        if runs:
            return [
                "No run left a new anomaly in the databases (audited after the orders settled)."
            ]
        return []
    sentences = []
    for run in with_anomalies:
        kinds = ", ".join(
            f"{kind} {n}" for kind, n in sorted(run.anomalies_delta.items(), key=_by_count) if n > 0
        )
        sentences.append(
            f"{run.scenario}, {run.variant}: {run.new_anomalies} new anomalies in the"
            f" databases ({kinds})."
        )
    clean = sorted({run.variant for run in runs} - {run.variant for run in with_anomalies})
    if clean:
        sentences.append(f"No new anomaly in any run of: {', '.join(clean)}.")
    return sentences


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _crash(runs: list[RunFigures]) -> list[str]:
    sentences = []
    for run in runs:
        if run.scenario != "crash":
            continue
        sentences.append(
            f"crash, {run.variant}: after the kill and the restart, {run.still_pending} of"
            f" {run.orders_placed} orders were still pending {run.settle_waited_s:g} s after"
            " the load ended,"
            f" with {run.new_anomalies} new anomalies; "
            f"{run.final_statuses.get('CONFIRMED', 0)} were confirmed."
        )
    return sentences


def _skipped(runs: Iterable[RunFigures]) -> list[str]:
    return [f"{run.scenario}, {run.variant}: not run, {run.skipped}." for run in runs]
