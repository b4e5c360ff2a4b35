import pytest

from shop.errors import InvalidRequest
from shop.payment_provider import ChargeResult, PaymentFault, SimulatedCardProcessor


def test_tok_ok_is_approved_with_a_reference():
    outcome = SimulatedCardProcessor(seed=1).charge("tok_ok", 1000)
    assert outcome.result is ChargeResult.APPROVED
    assert outcome.reference.startswith("ch_")
    assert outcome.latency_s == 0


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("tok_declined", "card_declined"),
        ("tok_insufficient_funds", "insufficient_funds"),
        ("tok_whatever", "unknown_card"),
    ],
)
def test_other_cards_are_declined_with_a_reason(token, reason):
    outcome = SimulatedCardProcessor(seed=1).charge(token, 1000)
    assert (outcome.result, outcome.reason) == (ChargeResult.DECLINED, reason)


def test_tok_provider_error_always_fails_technically():
    assert SimulatedCardProcessor().charge("tok_provider_error", 1).result is ChargeResult.ERROR


def test_a_retried_charge_with_the_same_key_is_the_same_charge():
    processor = SimulatedCardProcessor(seed=1)
    first = processor.charge("tok_ok", 1000, idempotency_key="order-1")
    again = processor.charge("tok_ok", 1000, idempotency_key="order-1")
    other = processor.charge("tok_ok", 1000, idempotency_key="order-2")
    assert first.reference == again.reference != other.reference


def test_the_latency_knob_is_added_to_every_call():
    processor = SimulatedCardProcessor()
    processor.set_fault(PaymentFault(latency_ms=250))
    assert processor.charge("tok_declined", 1).latency_s == pytest.approx(0.25)
    processor.clear_fault()
    assert processor.charge("tok_ok", 1).latency_s == 0


def test_the_failure_rate_knob_fails_about_that_share_of_calls():
    processor = SimulatedCardProcessor(seed=7)
    processor.set_fault(PaymentFault(failure_rate=0.3))
    results = [processor.charge("tok_ok", 100).result for _ in range(2000)]
    share = results.count(ChargeResult.ERROR) / len(results)
    assert 0.25 < share < 0.35


@pytest.mark.parametrize(
    "knobs",
    [
        {"latency_ms": -1},
        {"latency_ms": 60_001},
        {"latency_ms": 1.5},
        {"failure_rate": 1.1},
        {"failure_rate": -0.1},
        {"failure_rate": "0.5"},
    ],
)
def test_knobs_out_of_range_are_refused(knobs):
    with pytest.raises(InvalidRequest):
        PaymentFault(**knobs)
