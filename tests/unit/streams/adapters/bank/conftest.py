"""The real month of the data set (shared/data/real), for the tests that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import shared_data

REL = Path("data/real/anonymous_bank/anonymous_bank_1999-08_calls.csv")


@pytest.fixture(scope="module")
def real_csv() -> Path:
    return shared_data(str(REL), "WALLBOARD_BANK_CSV")
