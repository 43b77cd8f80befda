"""Counting the SQL statements Tortoise sends, e.g. per GraphQL request.

Two ways, both listening to Tortoise's `tortoise.db_client` debug log:

- `count_statements()` / `assert_max_statements(n)` (tests, benchmarks) collect every
  statement the process runs inside the block, and cost nothing outside it;
- `tally_statements()` counts only those of the current request or job (a context
  variable, so concurrent requests do not mix), for metrics and logs. It needs
  `enable_tallies()` once per process: Tortoise then logs every statement at DEBUG, and a
  filter counts them and drops those below the level the logger had before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

_LOGGER = logging.getLogger("tortoise.db_client")


def _is_statement(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(("Created connection", "Closed connection"))


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if _is_statement(record):
            self.statements.append(record.getMessage())


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Yields a list that fills with the SQL statements run inside the block."""
    global _collecting
    handler = _Counter()
    level, propagate = _LOGGER.level, _LOGGER.propagate
    _LOGGER.setLevel(logging.DEBUG)
    _LOGGER.propagate = False
    _LOGGER.addHandler(handler)
    _collecting += 1
    try:
        yield handler.statements
    finally:
        _collecting -= 1
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


@dataclass
class StatementTally:
    count: int = 0


_tally: ContextVar[StatementTally | None] = ContextVar("carnet_statement_tally", default=None)


class _TallyFilter(logging.Filter):
    """Counts into the current tally, then lets through only what the logger's former
    level let through (and everything while `count_statements()` collects): DEBUG records
    must not reach a root handler that has no level of its own and print every statement."""

    def __init__(self, passes_from: int) -> None:
        super().__init__()
        self.passes_from = passes_from

    def filter(self, record: logging.LogRecord) -> bool:
        tally = _tally.get()
        if tally is not None and _is_statement(record):
            tally.count += 1
        return record.levelno >= self.passes_from or _collecting > 0


_installed: _TallyFilter | None = None
_collecting = 0  # count_statements() blocks open


def enable_tallies() -> None:
    """Makes `tally_statements()` count (idempotent)."""
    global _installed
    if _installed is not None:
        return
    _installed = _TallyFilter(passes_from=_LOGGER.getEffectiveLevel())
    _LOGGER.addFilter(_installed)
    _LOGGER.setLevel(logging.DEBUG)


@contextmanager
def tally_statements() -> Iterator[StatementTally]:
    """Counts the statements of this task (and the tasks it starts) inside the block;
    stays at 0 unless `enable_tallies()` was called."""
    tally = StatementTally()
    token = _tally.set(tally)
    try:
        yield tally
    finally:
        _tally.reset(token)
