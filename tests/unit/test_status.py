import pytest

from shop.status import IllegalTransition, OrderStatus, check_transition


@pytest.mark.parametrize("final", [OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.FAILED])
def test_a_final_status_never_changes(final):
    assert final.is_final
    for other in OrderStatus:
        with pytest.raises(IllegalTransition):
            check_transition(final, other)


def test_a_pending_order_can_end_in_any_final_status():
    assert not OrderStatus.PENDING.is_final
    for final in (OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.FAILED):
        check_transition(OrderStatus.PENDING, final)
