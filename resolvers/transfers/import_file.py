"""Reading an uploaded import file before anything is written: its size, its encoding
(UTF-8, Windows-1252 or Latin-1; byte-order marks and UTF-16 recognized), its delimiter
and header row, and its number of rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from carnet.i18n import N_
from resolvers.common.errors import ErrorCollector, UserErrorCode
from resolvers.transfers.csv_records import CsvRecord, csv_records

DELIMITERS = (",", ";", "\t")
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
FILE = ("input", "file")


class CsvEncoding(StrEnum):
    UTF_8 = "UTF_8"
    WINDOWS_1252 = "WINDOWS_1252"  # Excel's "CSV" on Windows in English and French
    LATIN_1 = "LATIN_1"


_CODECS = {
    CsvEncoding.UTF_8: "utf-8",
    CsvEncoding.WINDOWS_1252: "cp1252",
    CsvEncoding.LATIN_1: "latin-1",
}


class UploadedFile(Protocol):
    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass
class ParsedFile:
    text: str
    delimiter: str
    headers: list[str]
    total_rows: int


def csv_rows(text: str, delimiter: str) -> Iterator[CsvRecord]:
    """The file's records, header first; a quoted cell may span several lines."""
    return csv_records(text, delimiter)


async def read_upload(
    upload: UploadedFile | None, errors: ErrorCollector, limit: int
) -> bytes | None:
    """The upload's bytes, at most `limit` of them (else an error)."""
    if upload is None or not callable(getattr(upload, "read", None)):
        errors.add(UserErrorCode.REQUIRED, FILE, N_("Attach the CSV file to import."))
        return None
    data = await upload.read(limit + 1)
    if len(data) > limit:
        errors.add(
            UserErrorCode.TOO_LONG,
            FILE,
            N_("The file is too large: at most {max} MB."),
            max=max(limit // (1024 * 1024), 1),
        )
        return None
    if not data.strip():
        errors.add(UserErrorCode.INVALID, FILE, N_("The file is empty."))
        return None
    return data


def decode(data: bytes, encoding: CsvEncoding, errors: ErrorCollector) -> str | None:
    if data.startswith(_UTF16_BOMS):
        errors.add(
            UserErrorCode.INVALID,
            FILE,
            N_('This file is UTF-16 ("Unicode text"): save it as "CSV UTF-8" and try again.'),
        )
        return None
    if data.startswith(_UTF8_BOM):
        # Excel's "CSV UTF-8" starts with a byte-order mark: UTF-8 whatever was chosen.
        data, encoding = data[len(_UTF8_BOM) :], CsvEncoding.UTF_8
    if b"\x00" in data:
        errors.add(
            UserErrorCode.INVALID,
            FILE,
            N_("This is not a CSV file (a spreadsheet, perhaps?): save it as CSV first."),
        )
        return None
    try:
        return data.decode(_CODECS[encoding])
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if encoding is CsvEncoding.UTF_8:
            message = N_(
                "Line {line} is not valid UTF-8. If the file was saved by Excel on Windows, "
                "import it again with the WINDOWS_1252 encoding."
            )
        else:
            message = N_("Line {line} cannot be read in this encoding: try UTF_8 or LATIN_1.")
        errors.add(UserErrorCode.INVALID, ("input", "encoding"), message, line=line)
        return None


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon (Excel in French) or tab: whichever the header line has most of."""
    first_line = text.splitlines()[0] if text else ""
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def parse_file(text: str, errors: ErrorCollector, limit: int) -> ParsedFile | None:
    """The file's header and rows, at most `limit` of them (else an error)."""
    delimiter = sniff_delimiter(text)
    rows = csv_rows(text, delimiter)
    header = next(rows, CsvRecord(1, []))
    total = sum(1 for _ in rows)
    if header.problem:
        errors.add(UserErrorCode.INVALID, FILE, header.problem, **header.params)
        return None
    headers = [cell.strip() for cell in header.cells]
    if not any(headers):
        errors.add(
            UserErrorCode.INVALID, FILE, N_("The first line must name the columns (a header row).")
        )
        return None
    if total == 0:
        errors.add(UserErrorCode.INVALID, FILE, N_("The file has a header row but no contacts."))
        return None
    if total > limit:
        errors.add(
            UserErrorCode.TOO_LONG,
            FILE,
            N_("The file has {rows} rows: at most {max} can be imported at once."),
            rows=total,
            max=limit,
        )
        return None
    return ParsedFile(text, delimiter, headers, total)
