"""`python -m monolith`: serve the monolith with the settings from the environment."""

from __future__ import annotations

import uvicorn

from monolith.app import create_app
from monolith.config import Settings


def main() -> None:
    settings = Settings.from_env()
    # One process on purpose: uvicorn's multi-worker mode answered ~43 ms late on the
    # project's 2-core machines, and in-process state (fault knobs, metrics) must be one.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
