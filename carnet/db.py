"""Tortoise configuration, shared by the app, the worker, the CLI and `tortoise` itself."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.config_generator import expand_db_url

from carnet.settings import Settings, get_settings
from models import MODEL_MODULES

APP_LABEL = "models"


def tortoise_config(settings: Settings) -> dict[str, Any]:
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": _connection(settings.effective_database_url)},
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


def _connection(url: str) -> str | dict[str, Any]:
    config = expand_db_url(url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return url
    config["credentials"]["reset"] = _keep_session
    return config


async def _keep_session(connection: Any) -> None:
    """What asyncpg's pool runs on a connection Tortoise releases, after its own cleanup
    (which rolls back a transaction left open): nothing more.

    By default it also sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`,
    a second round trip for every statement run outside a transaction (on a busy machine,
    most of a short statement's time). Carnet leaves no session state to reset: its advisory
    locks are transaction-scoped (`pg_advisory_xact_lock`), it never SETs a session
    variable, LISTENs, or holds a cursor past its transaction. Keep it so.
    """


def __getattr__(name: str) -> Any:
    # `[tool.tortoise]` points at TORTOISE_ORM: built from the environment when the
    # `tortoise` CLI asks for it, never at import time.
    if name == "TORTOISE_ORM":
        return tortoise_config(get_settings())
    raise AttributeError(name)
