"""The launcher's free-port helpers."""

from __future__ import annotations

from shopdemo.ports import _ephemeral_low, free_port_base, port_is_free


def test_a_free_port_base_leaves_its_whole_block_below_the_kernels_ephemeral_ports():
    base = free_port_base(span=200)

    # Ports of outgoing connections come from the ephemeral range: a block there could be
    # taken between the check and a server's bind.
    assert 10000 <= base and base + 200 < _ephemeral_low()
    assert all(port_is_free("127.0.0.1", base + offset) for offset in range(201))
