"""`python -m distributed.notification`: serve the notification service."""

from distributed.notification.app import create_app
from distributed.notification.config import Settings
from service_kit.service import serve

if __name__ == "__main__":
    settings = Settings.from_env()
    serve(create_app(settings), settings)
