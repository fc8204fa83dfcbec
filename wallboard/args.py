"""The argument types every command shares: port, output path, timestamp, duration, time
zone, bounded numbers, and the Kafka flag. Each refuses a bad value in one line (argparse
then exits with 2 before any work starts).

:func:`checked` turns any settings check (a function raising
:class:`~streams.core.errors.ConfigError`) into an argument type, so a flag and the setting
it overrides are checked by the same code.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from schemas.validate import TS_MAX_S, TS_MIN_S, TS_RANGE_TEXT
from streams.core.checks import check_timezone, parse_duration
from streams.core.errors import ConfigError

__all__ = [
    "checked",
    "duration",
    "every",
    "kafka_flags",
    "number",
    "output_path",
    "port",
    "timestamp",
    "timezone",
]

T = TypeVar("T")


def checked(check: Callable[[str, str], T], flag: str) -> Callable[[str], T]:
    """An argparse type from ``check(key, text)``: its ConfigError becomes the usage error
    (without the ``flag:`` prefix argparse adds itself)."""

    def parse(text: str) -> T:
        try:
            return check(flag, text)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{flag}: ")) from None

    parse.__name__ = flag.lstrip("-").replace("-", "_")
    return parse


def duration(flag: str, *, low: float, high: float) -> Callable[[str], float]:
    """``--every 15m`` and the like: :func:`streams.core.checks.parse_duration`."""
    return checked(lambda key, text: parse_duration(key, text, low=low, high=high), flag)


every = duration("--every", low=1, high=86400)  # the step of a series: compute, backtest


def timezone(text: str) -> str:
    """An IANA time zone name (not a folder of the zone database such as "America")."""
    checked(check_timezone, "--timezone")(text)
    return text


def number(low: float, high: float, *, low_included: bool,
           high_text: str | None = None) -> Callable[[str], float]:
    """A finite number in ``[low, high]`` (``(low, high]`` when ``low_included`` is false).
    nan, inf and absurd values are refused in one line."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        if value < low or (value == low and not low_included):
            raise argparse.ArgumentTypeError(
                f"must be {'>=' if low_included else '>'} {low:g}, got {text!r}")
        if value > high:
            raise argparse.ArgumentTypeError(
                f"must be <= {high_text or format(high, 'g')}, got {text!r}")
        return value

    return parse


def port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 1..65535, got {text!r}")
    return int(text)


def timestamp(text: str) -> float:
    """An RFC 3339 instant with an offset, inside the contract's accepted event-time range
    (``schemas.validate.TS_MIN_S`` .. ``TS_MAX_S``)."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an RFC 3339 timestamp, got {text!r}") from None
    if dt.tzinfo is None:
        raise argparse.ArgumentTypeError(f"timestamp has no UTC offset: {text!r}")
    try:
        ts = dt.timestamp()
    except (OverflowError, ValueError, OSError):
        ts = math.nan
    if not TS_MIN_S <= ts < TS_MAX_S:
        raise argparse.ArgumentTypeError(f"timestamp {text!r} is outside the accepted range "
                                         f"{TS_RANGE_TEXT}")
    return ts


def output_path(text: str) -> str:
    """The type of every ``--output FILE``: FILE is not a folder and its folder exists and
    is writable, so a bad path is a usage error (exit 2) before any work starts."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file name, got ''")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder, expected a file")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists()
                                                    and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"{text}: not writable")
    return text


def kafka_flags(parser: argparse.ArgumentParser) -> None:
    """``--bootstrap HOST:PORT`` (overrides ``kafka.bootstrap``)."""
    parser.add_argument("--bootstrap", metavar="HOST:PORT",
                        help="Kafka bootstrap servers (kafka.bootstrap)")
