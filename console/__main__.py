"""`python -m console`: serve the workshop console with the settings from the environment."""

import uvicorn

from console.app import create_app
from console.config import Settings

if __name__ == "__main__":
    settings = Settings.from_env()
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
    )
