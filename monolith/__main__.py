"""`python -m monolith`: serve the monolith with the settings from the environment."""

from monolith.app import create_app
from monolith.config import Settings
from service_kit.service import serve

if __name__ == "__main__":
    settings = Settings.from_env()
    serve(create_app(settings), settings)
