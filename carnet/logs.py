"""Logging: plain text (the default) or one JSON object per line (`CARNET_LOG_FORMAT=json`).

Every record becomes a line with `time`, `level`, `logger` and `message`, its traceback
under `exception`, and the fields a record was given with `extra=log_fields({...})` — the
request lines of carnet/web/observe.py and the job lines of carnet/job_runs.py. `carnet serve`,
`carnet worker` and `carnet dev` set this up (`configure_logging`), uvicorn included
(`uvicorn_log_config`, applied in each of its worker processes too).
"""

from __future__ import annotations

import copy
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from carnet.settings import Settings

FIELDS = "carnet_fields"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """`extra=` for a record whose fields the JSON lines carry (text shows the message)."""
    return {FIELDS: fields}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in values are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(settings: Settings) -> logging.Formatter:
    if settings.log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(settings: Settings, stream=None) -> None:
    """The process's root handler, at INFO, in the configured format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(settings))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's `log_config`. Text: uvicorn's own lines, and a root handler for Carnet's.
    JSON: every logger through one JSON handler, and no access log (the request lines of
    carnet/web/observe.py replace it, with the route's template instead of the raw path)."""
    from uvicorn.config import LOGGING_CONFIG

    if settings.log_format != "json":
        config = copy.deepcopy(LOGGING_CONFIG)
        config["formatters"]["carnet"] = {"format": TEXT_FORMAT}
        config["handlers"]["carnet"] = {
            "formatter": "carnet",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        }
        config["root"] = {"handlers": ["carnet"], "level": "INFO"}
        return config
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "carnet.logs.JsonFormatter"}},
        "handlers": {
            "json": {
                "formatter": "json",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["json"], "level": "INFO"},
        "loggers": {
            "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
