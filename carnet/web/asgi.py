"""The ASGI entry point for uvicorn: `carnet.asgi:app`, configured from the environment."""

from carnet.app import create_app
from carnet.settings import get_settings

app = create_app(get_settings())
