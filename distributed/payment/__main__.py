"""`python -m distributed.payment`: serve the payment service."""

from distributed.payment.app import create_app
from distributed.payment.config import Settings
from service_kit.service import serve

if __name__ == "__main__":
    settings = Settings.from_env()
    serve(create_app(settings), settings)
