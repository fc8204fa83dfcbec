"""The size and limit checks both validators share, and the wording of their messages.

* ``_message_size``, ``_too_large``: the 64 KiB limit of a message (bytes-like or str);
* ``_too_far_ahead``: a ``ts`` more than ``max_future_s`` ahead of the processor clock;
* ``_json_type``, ``_show``, ``_quote``: how a value is named and shown in an error message
  (short, JSON-ish, never a RecursionError). Slow path only: valid events never get here.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from schemas.contract import MAX_MESSAGE_BYTES
from schemas.event import InvalidEvent

# A str of at most this many code points is at most MAX_MESSAGE_BYTES in UTF-8.
_SAFE_STR_CHARS = MAX_MESSAGE_BYTES // 4

_JSON_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _show(value: Any, limit: int = 60) -> str:
    """A short JSON-ish rendering of a value for error messages."""
    if isinstance(value, float) and not math.isfinite(value):
        text = repr(value)  # only reachable with dict input
    else:
        try:
            text = orjson.dumps(value).decode()
        except (TypeError, orjson.JSONEncodeError):
            # orjson refuses values nested deeper than 254 levels; repr() of a value nested
            # 1,000 deep would raise RecursionError, so name the type instead.
            if isinstance(value, (dict, list)):
                text = f"{_json_type(value)} nested too deeply to show"
            else:
                try:
                    text = repr(value)
                except RecursionError:
                    text = f"{type(value).__name__} nested too deeply to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quote(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _message_size(data: Any) -> int:
    """Size in bytes of a bytes-like or str message; InvalidEvent for anything else."""
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    if isinstance(data, str):
        size = len(data)
        if size > _SAFE_STR_CHARS:
            size = len(data.encode("utf-8", "surrogatepass"))
        return size
    if isinstance(data, memoryview):
        return data.nbytes
    raise InvalidEvent("$", f"expected a JSON object, got {_json_type(data)}")


def _too_large(size: int) -> InvalidEvent:
    return InvalidEvent("$", f"message is {size} bytes, larger than {MAX_MESSAGE_BYTES}")


def _too_far_ahead(ts: float, now: float, max_future_s: float) -> InvalidEvent:
    return InvalidEvent(
        "ts",
        f"timestamp is {ts - now:.3f} s ahead of the processor clock "
        f"(max_future_s={max_future_s:g})",
    )
