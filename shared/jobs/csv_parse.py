"""Reading a jobs CSV the way real files arrive: a BOM, another delimiter, a missing header, stray
quotes, empty lines, bytes that are not UTF-8. Each problem becomes a row error (row number,
column, reason) instead of an exception; too many rows is a 413 with the limit.

Row numbers are the file's line numbers (the header is row 1), as a spreadsheet shows them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from shared.errors import PayloadTooLarge

MAX_ROWS = 1000
MAX_CELL_CHARS = 64 * 1024
COLUMNS = ("kind", "vin", "asset_id", "title", "description", "due_date", "configuration", "template",
           "assigned_installer_company_id", "site_id")
OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
_NOT_UTF8 = re.compile("[\udc80-\udcff]+")
csv.field_size_limit(MAX_CELL_CHARS)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def detail(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ParsedCsv:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, column -> cell)
    errors: list[RowError] = field(default_factory=list)


def _decode(data: bytes) -> tuple[str, RowError | None]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "", RowError(1, "(file)", "the file is UTF-16: save it as CSV UTF-8")
    # undecodable bytes survive as lone surrogates, so the cell that holds them can be named
    return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="surrogateescape"), None


def _not_utf8(value: str) -> str | None:
    found = _NOT_UTF8.search(value)
    if found is None:
        return None
    raw = found.group().encode("utf-8", errors="surrogateescape")[:4]
    return (f"holds bytes that are not UTF-8 ({' '.join(f'0x{b:02X}' for b in raw)}): "
            "save the file as CSV UTF-8 and send it again")


def _header(cells: list[str], errors: list[RowError]) -> list[str] | None:
    """The column names (trimmed, lower case), or None with the errors that make the header unusable."""
    names = [c.strip().lower() for c in cells]
    unreadable = _undecodable_name(names) or _other_delimiter(names) or _not_a_header(cells, names)
    if unreadable is not None:
        errors.append(unreadable)
        return None
    errors.extend(_column_errors(names))
    return None if errors else names


def _undecodable_name(names: list[str]) -> RowError | None:
    """A column name with bytes that are not UTF-8: the whole file was saved in another encoding."""
    for i, name in enumerate(names):
        if reason := _not_utf8(name):
            return RowError(1, f"column {i + 1}", reason)
    return None


def _other_delimiter(names: list[str]) -> RowError | None:
    """One column holding a semicolon, tab or pipe: a spreadsheet's export with another delimiter."""
    if len(names) == 1:
        for delimiter, label in OTHER_DELIMITERS.items():
            if delimiter in names[0]:
                return RowError(1, "(header)", f"the columns are separated by {label}: separate them "
                                               "with commas (save as CSV, comma delimited)")
    return None


def _not_a_header(cells: list[str], names: list[str]) -> RowError | None:
    """No known column at all: the first row is data (the header is missing); shows what it holds."""
    if any(n in COLUMNS for n in names):
        return None
    shown = ", ".join(repr(c) for c in cells[:3])
    return RowError(1, "(header)", f"the first row must be the header naming the columns "
                                   f"({', '.join(COLUMNS)}); it holds {shown}")


def _column_errors(names: list[str]) -> list[RowError]:
    """Each unnamed, unknown or repeated column, and a missing vehicle column (vin or asset_id)."""
    errors = []
    for i, name in enumerate(names):
        if not name:
            errors.append(RowError(1, f"column {i + 1}", "this column has no name: name it or remove it"))
        elif name not in COLUMNS:
            errors.append(RowError(1, name, f"unknown column: the columns are {', '.join(COLUMNS)}"))
        elif names.index(name) != i:
            errors.append(RowError(1, name, "this column appears twice"))
    if "vin" not in names and "asset_id" not in names:
        errors.append(RowError(1, "vin", "the header needs a vin or an asset_id column"))
    return errors


def parse(data: bytes) -> ParsedCsv:
    """The data rows by column name, or the errors that make the file unreadable; 413 over MAX_ROWS rows."""
    out = ParsedCsv()
    text, error = _decode(data)
    if error is not None:
        out.errors.append(error)
        return out
    header: list[str] | None = None
    for row_number, cells in _records(text, out.errors):
        if header is None:
            header = _header(cells, out.errors)
            if header is None:
                break
            continue
        _within_limit(out)
        _row(row_number, header, cells, out)
    if (nothing := _nothing_to_import(header, out)) is not None:
        out.errors.append(nothing)
    return out


def _records(text: str, errors: list[RowError]) -> Iterator[tuple[int, list[str]]]:
    """The file's non-empty records with their line numbers; a record the csv module cannot read (a
    stray quote) ends the file with its error: what follows it cannot be trusted."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        row_number = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(RowError(row_number, "(row)", f"the row cannot be read as CSV ({exc}): check its "
                                                        "quotes (a quote inside a cell is written twice: \"\")"))
            return
        if any(c.strip() for c in cells):  # else an empty line
            yield row_number, cells


def _within_limit(out: ParsedCsv) -> None:
    """413 before one more data row than MAX_ROWS, so a huge file is not read to its end."""
    if len(out.rows) >= MAX_ROWS:
        raise PayloadTooLarge(f"the file has more than {MAX_ROWS} rows; the limit is {MAX_ROWS} rows per "
                              "import: split it", [{"field": "body", "message": f"at most {MAX_ROWS} rows"}])


def _nothing_to_import(header: list[str] | None, out: ParsedCsv) -> RowError | None:
    """A file read without error that holds no job says why: empty, or a header alone."""
    if out.errors:
        return None
    if header is None:
        return RowError(1, "(header)", "the file is empty: send a header row and at least one job")
    if not out.rows:
        return RowError(2, "(row)", "the file has a header but no jobs")
    return None


def _row(row_number: int, header: list[str], cells: list[str], out: ParsedCsv) -> None:
    if len(cells) != len(header):
        hint = " (a comma inside a cell? put the cell in quotes)" if len(cells) > len(header) else ""
        out.errors.append(RowError(row_number, "(row)",
                                   f"the row has {len(cells)} cells, the header has {len(header)} columns{hint}"))
        out.rows.append((row_number, {}))  # counted towards the limit, never imported
        return
    values: dict[str, str] = {}
    for name, cell in zip(header, cells, strict=True):
        if reason := _not_utf8(cell):
            out.errors.append(RowError(row_number, name, reason))
        elif "\x00" in cell:
            out.errors.append(RowError(row_number, name, "holds a NUL byte: is this a spreadsheet file? Export "
                                                         "it as CSV UTF-8"))
        values[name] = cell.strip()
    out.rows.append((row_number, values))
