"""The scenarios `shopdemo compare` runs: the same fault on every variant where it applies."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from shop.payment_provider import NO_FAULT, PaymentFault

ISTIO_SCENARIOS = Path(__file__).resolve().parents[2] / "istio" / "scenarios"

# The unit that calls the card processor, per variant: the one the crash scenario kills.
PAYMENT_CALLER = {
    "monolith": "monolith",
    "distributed": "distributed-payment",
    "event_driven": "event-driven-payment",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    payment_fault: PaymentFault = NO_FAULT
    # Istio files applied through the mesh admin for the distributed variant only.
    mesh_files: tuple[Path, ...] = ()
    crash: bool = False  # kill -9 the payment caller at 1/3 of the run, restart it at 2/3
    only_variants: tuple[str, ...] = ()  # empty: every variant
    skip_reason: str = ""  # why the variants not in only_variants are skipped
    expectation: dict[str, str] = field(default_factory=dict)  # variant -> what to look for

    def applies_to(self, variant: str) -> bool:
        return not self.only_variants or variant in self.only_variants


def _retry_storm_files() -> tuple[Path, ...]:
    return tuple(sorted(ISTIO_SCENARIOS.glob("*retry-storm.yaml")))


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("baseline", "no fault: the baseline mesh policy, a healthy card processor"),
        Scenario(
            "payment-flaky",
            "the card processor fails 30 % of charges technically",
            payment_fault=PaymentFault(failure_rate=0.3),
            expectation={
                "monolith": "fails those orders (502, FAILED), nothing charged",
                "distributed": "the mesh retries the payment call (up to 3 times)",
                "event_driven": "the payment service retries under one idempotency key",
            },
        ),
        Scenario(
            "payment-slow",
            "the card processor takes 400 ms per charge; the distributed variant's payment"
            " route allows 300 ms per try and 2 retries (virtual-service-payment-impatient)",
            payment_fault=PaymentFault(latency_ms=400),
            mesh_files=(ISTIO_SCENARIOS / "virtual-service-payment-impatient.yaml",),
            expectation={
                "monolith": "holds the stock rows' locks during the slow call: orders for"
                " the same product queue behind each other",
                "distributed": "every try times out and is retried while the payment service"
                " goes on: one order can be charged more than once, and still fail",
                "event_driven": "answers at once; the saga's payment step queues",
            },
        ),
        Scenario(
            "crash",
            "kill -9 the unit that calls the card processor at one third of the run,"
            " start it again at two thirds",
            crash=True,
            expectation={
                "monolith": "the whole variant is down for a third of the run",
                "distributed": "orders fail while payment is down (the mesh retries a refused"
                " connection, then gives up)",
                "event_driven": "orders are accepted throughout; payments wait in Kafka",
            },
        ),
        Scenario(
            "retry-storm",
            "every mesh hop retries (3 times, 1 s per try) and the card processor takes"
            " 1200 ms: one order can become up to 16 charges",
            payment_fault=PaymentFault(latency_ms=1200),
            mesh_files=_retry_storm_files(),
            only_variants=("distributed",),
            skip_reason="a retry storm is a mesh policy: only the distributed variant has a"
            " mesh; the others have no retrying hops to misconfigure",
        ),
    )
}


def select_scenarios(names: list[str] | None) -> list[Scenario]:
    """The named scenarios in the order given (duplicates dropped); default: all of them."""
    chosen = list(dict.fromkeys(names or SCENARIOS))
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    return [SCENARIOS[name] for name in chosen]
