"""Counting the SQL statements Tortoise sends, e.g. per GraphQL request.

Used by the tests (`assert_max_statements`) and the benchmarks; it listens to Tortoise's
`tortoise.db_client` debug log only inside the block, so it costs nothing elsewhere.
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


@contextmanager
def assert_max_statements(limit: int) -> Iterator[list[str]]:
    with count_statements() as statements:
        yield statements
    assert len(statements) <= limit, (
        f"{len(statements)} statements, expected at most {limit}:\n" + "\n".join(statements)
    )
