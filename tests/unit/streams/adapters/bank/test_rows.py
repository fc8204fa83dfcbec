"""The CSV: a header without the data set's columns is one error for the whole file."""

from __future__ import annotations

import io

import pytest

from streams.adapters.bank import BadHeader, read_rows

from .samples import HEADER


def test_bad_header_is_one_error_for_the_file():
    with pytest.raises(BadHeader, match="no column q_start"):
        read_rows(io.StringIO(HEADER.replace("q_start", "qstart") + "\n"))
    with pytest.raises(BadHeader, match="empty file"):
        read_rows(io.StringIO(""))
