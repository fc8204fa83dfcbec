"""Hypothesis strategies of the schemas tests: timestamps, valid events (with the Event
fields expected from them) and the JSON values to put in them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from schemas import AGENT_STATES, DEQUEUE_REASONS, EVENT_TYPES
from tests.unit.schemas.support import TS

KNOWN_FIELDS = [
    "v",
    "event_id",
    "type",
    "ts",
    "call_id",
    "queue",
    "agent_id",
    "attrs",
    "priority",
    "reason",
    "to_queue",
    "hold_s",
    "acw",
    "state",
    "queues",
]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
tricky_values = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        -1,
        1.0,
        2.0,
        0.5,
        -0.0,
        "",
        "x",
        "x" * 256,
        "x" * 257,
        [],
        ["a"],
        [""],
        {},
        {"k": "v"},
        {"k": 1},
        TS,
        "2026-11-22T09:15:02",
        "2026-02-29T00:00:00Z",
        *EVENT_TYPES,
        *AGENT_STATES,
        *DEQUEUE_REASONS,
    ]
)


@st.composite
def timestamps(draw: st.DrawFn) -> tuple[str, float]:
    """An RFC 3339 timestamp with offset and the epoch seconds it denotes."""
    secs = draw(st.integers(min_value=0, max_value=7258118400))  # 1970..2200 (TS_MIN_S..)
    offset_min = draw(st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59))
    frac = draw(st.text("0123456789", max_size=12))
    local = datetime.fromtimestamp(secs, tz=timezone(timedelta(minutes=offset_min)))
    if offset_min == 0:
        off = draw(st.sampled_from(["Z", "z", "+00:00", "-00:00"]))
    else:
        h, m = divmod(abs(offset_min), 60)
        off = f"{'+' if offset_min > 0 else '-'}{h:02d}:{m:02d}"
    sep = draw(st.sampled_from("Tt"))
    text = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d}{sep}"
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
        f"{'.' + frac if frac else ''}{off}"
    )
    return text, secs + (float("0." + frac) if frac else 0.0)


ids = st.text(min_size=1, max_size=256)


@st.composite
def valid_events(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid event and the Event fields expected from it."""
    etype = draw(st.sampled_from(EVENT_TYPES))
    ts, epoch = draw(timestamps())
    extras = draw(
        st.dictionaries(
            st.text(max_size=10).filter(lambda k: k not in KNOWN_FIELDS), json_values, max_size=3
        )
    )
    event_id = draw(st.text(min_size=1, max_size=128))
    obj: dict[str, Any] = {**extras, "v": 1, "event_id": event_id, "type": etype, "ts": ts}
    want: dict[str, Any] = {"v": 1, "event_id": event_id, "type": etype, "ts": epoch}
    if etype == "agent.state":
        want["agent_id"] = obj["agent_id"] = draw(ids)
        want["state"] = obj["state"] = draw(st.sampled_from(AGENT_STATES))
        queues = draw(st.lists(ids, max_size=5))
        obj["queues"] = queues
        want["queues"] = tuple(queues)
        if draw(st.booleans()):
            want["reason"] = obj["reason"] = draw(st.text(max_size=256))
    else:
        want["call_id"] = obj["call_id"] = draw(ids)
        want["queue"] = obj["queue"] = draw(ids)
    if etype in ("call.answered", "call.ended", "call.wrapup_ended"):
        want["agent_id"] = obj["agent_id"] = draw(ids)
    if etype == "call.queued":
        if draw(st.booleans()):
            want["attrs"] = obj["attrs"] = draw(
                st.dictionaries(ids, st.text(max_size=256), max_size=32)
            )
        if draw(st.booleans()):
            want["priority"] = obj["priority"] = draw(
                st.integers(min_value=-(2**63), max_value=2**63 - 1)
            )
    if etype == "call.dequeued":
        want["reason"] = obj["reason"] = draw(st.sampled_from(DEQUEUE_REASONS))
        if draw(st.booleans()):
            want["to_queue"] = obj["to_queue"] = draw(ids)
    if etype == "call.ended":
        if draw(st.booleans()):
            hold = draw(
                st.integers(min_value=0, max_value=10**6)
                | st.floats(min_value=0, max_value=1e9, allow_nan=False)
            )
            obj["hold_s"] = hold
            want["hold_s"] = float(hold)
        if draw(st.booleans()):
            want["acw"] = obj["acw"] = draw(st.booleans())
    return obj, want
