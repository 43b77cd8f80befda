"""Tortoise configuration, shared by the app, the worker, the CLI and `tortoise` itself."""

from __future__ import annotations

from typing import Any

from carnet.settings import Settings, get_settings
from models import MODEL_MODULES

APP_LABEL = "models"


def tortoise_config(settings: Settings) -> dict[str, Any]:
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": settings.effective_database_url},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> Any:
    # `[tool.tortoise]` points at TORTOISE_ORM: built from the environment when the
    # `tortoise` CLI asks for it, never at import time.
    if name == "TORTOISE_ORM":
        return tortoise_config(get_settings())
    raise AttributeError(name)
