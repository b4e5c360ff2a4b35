"""The launcher's free-port helpers."""

from __future__ import annotations

import socket

from shopdemo.ports import _ephemeral_low, free_port_base, listen_problem, port_is_free


def test_a_free_port_base_leaves_its_whole_block_below_the_kernels_ephemeral_ports():
    base = free_port_base(span=200)

    # Ports of outgoing connections come from the ephemeral range: a block there could be
    # taken between the check and a server's bind.
    assert 10000 <= base and base + 200 < _ephemeral_low()
    assert all(port_is_free("127.0.0.1", base + offset) for offset in range(201))


def test_a_port_another_program_holds_is_reported_in_use_and_a_bad_address_is_not():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]

        held = listen_problem("127.0.0.1", port)

    assert held is not None and held.in_use
    assert held.message == f"port {port} on 127.0.0.1 is already in use by another program"
    unresolvable = listen_problem("no-such-host.invalid", port)
    assert unresolvable is not None and not unresolvable.in_use
    assert "cannot resolve the listen address 'no-such-host.invalid'" in unresolvable.message
