"""`python -m distributed.inventory`: serve the inventory service."""

from distributed.inventory.app import create_app
from distributed.inventory.config import Settings
from service_kit.service import serve

if __name__ == "__main__":
    settings = Settings.from_env()
    serve(create_app(settings), settings)
