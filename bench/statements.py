"""Counting the SQL statements Tortoise sends (a copy of tests/support/statements.py).

Copied rather than imported so that bench scripts never import the test suite.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

_LOGGER = logging.getLogger("tortoise.db_client")


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(record.getMessage())


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Yields a list that fills with the SQL statements run inside the block."""
    handler = _Counter()
    level, propagate = _LOGGER.level, _LOGGER.propagate
    _LOGGER.setLevel(logging.DEBUG)
    _LOGGER.propagate = False
    _LOGGER.addHandler(handler)
    try:
        yield handler.statements
    finally:
        _LOGGER.removeHandler(handler)
        _LOGGER.setLevel(level)
        _LOGGER.propagate = propagate
