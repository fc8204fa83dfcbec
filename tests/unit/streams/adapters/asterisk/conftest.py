"""The real PBXware export (shared/data/real) converted once per module, with its rows read
independently of the adapter's parser."""

from __future__ import annotations

import csv

import pytest

from streams.adapters.asterisk import convert_file

from .queue_logs import real_file


@pytest.fixture(scope="module")
def real() -> tuple[list[dict], object, list[dict[str, str]]]:
    path = real_file()
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))  # counted independently of the adapter's parser
    events, stats = convert_file(path)
    return events, stats, rows
