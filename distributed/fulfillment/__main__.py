"""`python -m distributed.fulfillment`: serve the fulfillment service."""

from distributed.fulfillment.app import create_app
from distributed.fulfillment.config import Settings
from service_kit.service import serve

if __name__ == "__main__":
    settings = Settings.from_env()
    serve(create_app(settings), settings)
