"""The Anonymous Bank call table as rows: the CSV header, the rows, and each field's format.

:func:`read_rows` checks the header at once (:class:`BadHeader`: the whole file is unusable)
and yields ``(line number, row)``. A row whose field count is wrong comes as a
:class:`BadRow` instead. :func:`clock`, :func:`integer`, :func:`day` and :func:`name` read one
field of a row, or raise :class:`BadRow` naming the field and its text.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import IO

__all__ = ["COLUMNS", "BadHeader", "BadRow", "clock", "day", "integer", "name", "read_rows"]

COLUMNS: tuple[str, ...] = (
    "vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit",
    "vru_time", "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time",
    "server",
)

_CLOCK_RE = re.compile(r"([0-9]{1,2}):([0-5][0-9]):([0-5][0-9])")
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class BadHeader(ValueError):
    """The CSV does not have the data set's columns (the whole file is unusable)."""


class BadRow(ValueError):
    """One malformed row: reported with its line number and skipped."""


@functools.lru_cache(maxsize=100_000)
def _clock_s(text: str) -> int | None:
    m = _CLOCK_RE.fullmatch(text)
    if m is None or int(m[1]) > 23:
        return None
    return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3])


def clock(row: Mapping[str, str], key: str) -> int:
    """``H:MM:SS`` → seconds after midnight."""
    seconds = _clock_s(row[key])
    if seconds is None:
        raise BadRow(f"{key} {row[key]!r} is not a time of day H:MM:SS")
    return seconds


def integer(row: Mapping[str, str], key: str, *, signed: bool = False) -> int:
    text = row[key]
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits.isdigit() or not digits.isascii():
        raise BadRow(f"{key} {text!r} is not {'an integer' if signed else 'a whole number'}")
    return int(text)


def day(row: Mapping[str, str]) -> date:
    text = row["date"]
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise BadRow(f"date {text!r} is not YYYY-MM-DD") from None


def name(row: Mapping[str, str], key: str) -> str:
    text = row[key].strip()
    if _NAME_RE.fullmatch(text) is None:
        raise BadRow(f"{key} {row[key]!r} is not a name")
    return text


def read_rows(fh: IO[str] | Iterable[str]) -> Iterator[tuple[int, Mapping[str, str] | BadRow]]:
    """The rows of a data-set CSV as ``(line number, row)``; a row with the wrong number of
    fields comes as ``(line number, BadRow)``. The header is checked at once
    (:class:`BadHeader`); the columns may come in any order, extra columns are ignored."""
    reader = csv.reader(fh)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise BadHeader("empty file: no header line") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise BadHeader(f"not the Anonymous Bank call table: no column {', '.join(missing)} "
                        f"in the header")

    def rows() -> Iterator[tuple[int, Mapping[str, str] | BadRow]]:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, BadRow(f"not CSV: {exc}")
                continue
            if not fields or fields == [""]:
                continue
            if len(fields) != len(header):
                yield reader.line_num, BadRow(
                    f"{len(fields)} fields, the header has {len(header)}")
                continue
            yield reader.line_num, dict(zip(header, fields, strict=True))

    return rows()
