"""Reading an import file's CSV records, each with the line it starts on and, when it
cannot be read as one row of the header's shape, why.

Read leniently, a row with a cell missing or a cell too many maps its cells to the wrong
columns, and a quote left open reads every later line into one cell. So records are read
strictly: a record that breaks the quoting rules is reported and reading resumes on the
next line, and a data record whose cell count differs from the header's is reported
rather than mapped. Pure functions: no query here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from carnet.i18n import N_, NP_

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_END_OF_DATA = "unexpected end of data"  # the csv module's words for a quote left open


@dataclass
class CsvRecord:
    line: int  # the file line the record starts on (1 = the header's)
    cells: list[str]
    # An English msgid and its placeholders when the record is not a readable row;
    # its cells are then not to be used.
    problem: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


class _Lines:
    """The file's physical lines, remembering those of the record being read."""

    def __init__(self, source: str | TextIO):
        # A stream must be opened with newline="", as the csv module requires.
        self._lines = io.StringIO(source, newline="") if isinstance(source, str) else source
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line


# csv's limit is the C long of the platform; 2**31 - 1 fits everywhere.
_ANY_CELL = 2**31 - 1


def csv_records(source: str | TextIO, delimiter: str) -> Iterator[CsvRecord]:
    """The file's records, header first; a quoted cell may span several lines."""
    # A cell can be as long as the file (whose size the upload bounded): a long note is the
    # row's problem, not the file's.
    csv.field_size_limit(_ANY_CELL)
    lines = _Lines(source)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    expected: int | None = None
    while True:
        start, lines.taken = reader.line_num + 1, []
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield _unreadable(str(error), start, reader.line_num, lines.taken, delimiter)
            continue
        if expected is None:
            expected = len(cells)
        elif any(cell.strip() for cell in cells) and len(cells) != expected:
            yield CsvRecord(
                start,
                cells,
                NP_(
                    "Line {line} has {count} cell where the header has {expected}: "
                    "nothing from this row was imported.",
                    "Line {line} has {count} cells where the header has {expected}: "
                    "nothing from this row was imported.",
                ),
                {"line": start, "count": len(cells), "expected": expected},
            )
            continue
        yield CsvRecord(start, cells)


def _unreadable(error: str, start: int, end: int, taken: list[str], delimiter: str) -> CsvRecord:
    if error.startswith(_END_OF_DATA):
        line = _open_quote_line("".join(taken), end, delimiter)
        return CsvRecord(
            start,
            [],
            N_(
                "The quote opened on line {line} is never closed, so every line after it "
                "was read as one cell: nothing from line {line} on was imported."
            ),
            {"line": line},
        )
    return CsvRecord(
        start,
        [],
        N_(
            "Line {line}: a quoted cell must end at its closing quote; write a quote inside "
            'a cell as two quotes (""). Nothing from this row was imported.'
        ),
        {"line": end},
    )


def _open_quote_line(record_text: str, end: int, delimiter: str) -> int:
    """Where the cell left open at the end of the file starts: its last cell (read
    leniently this once) holds every line from there on, line breaks included."""
    cells = next(csv.reader(io.StringIO(record_text, newline=""), delimiter=delimiter), [""])
    last = cells[-1] if cells else ""
    breaks = len(_LINE_BREAK.findall(last))
    return end - breaks + (1 if last.endswith(("\n", "\r")) else 0)
