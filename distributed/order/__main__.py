"""`python -m distributed.order`: serve the order service."""

from distributed.order.app import create_app
from distributed.order.config import Settings
from service_kit.service import serve

if __name__ == "__main__":
    settings = Settings.from_env()
    serve(create_app(settings), settings)
