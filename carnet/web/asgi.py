"""The ASGI entry point for uvicorn: `carnet.web.asgi:app`, configured from the environment."""

from carnet.settings import get_settings
from carnet.web.app import create_app

app = create_app(get_settings())
