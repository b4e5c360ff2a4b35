"""`python -m mesh`: load the Istio files, open the listeners and the admin API, serve.

A configuration or policy problem stops the proxy before it listens, with the
reason on stderr (file and field path for a policy) and exit status 2; a port
that cannot be bound exits with status 1.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from mesh.admin import AdminApi
from mesh.config import Settings
from mesh.policy_fields import PolicyError
from mesh.proxy import ListenError, MeshProxy
from service_kit.settings import ConfigError


async def _serve(proxy: MeshProxy) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await proxy.start(AdminApi(proxy))
    settings = proxy.settings
    listeners = ", ".join(f"{host}={port}" for host, port in settings.listeners.items())
    print(
        f"mesh: ready; admin on {settings.host}:{settings.port}, listeners {listeners}, "
        f"{len(proxy.policies.resources)} resources from {settings.policy_dir}",
        file=sys.stderr,
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await proxy.stop()


def main() -> int:
    try:
        settings = Settings.from_env()
        proxy = MeshProxy(settings)
    except (ConfigError, PolicyError) as error:
        print(f"mesh: cannot start:\n{error}", file=sys.stderr)
        return 2
    try:
        import uvloop
    except ImportError:
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_serve(proxy))
    except ListenError as error:
        print(f"mesh: cannot start: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
