"""The tables of valid and invalid events (the Validity section of the contract, rule by
rule), shared by the validator's and the JSON Schema's tests.

``schema=False`` marks the rules a JSON Schema cannot express: the 64 KiB size limit, the
future-ts limit (both excluded from conformance by design), JSON integers written as integral
floats (JSON Schema treats 1.0 as the integer 1) and a Python input that is no JSON document
at all.
"""

from __future__ import annotations

import orjson

from schemas import AGENT_STATES, DEQUEUE_REASONS, EVENT_TYPES, MAX_MESSAGE_BYTES
from tests.unit.schemas.support import (
    DEL,
    TS_EPOCH,
    attrs_n,
    ev,
    invalid,
    padded,
    valid,
)

VALID = [
    # --- every type, the spec's own lines, forward compatibility
    *[valid(f"type {t}", ev(t)) for t in EVENT_TYPES],
    valid("unknown extra fields", ev(**{"x-source": "pbx", "nested": {"a": [1, None]}})),
    valid("fields of other types are extras", ev(agent_id=5, state="zzz", reason=3, queues=1)),
    valid("agent.state ignores call fields", ev("agent.state", call_id=5, queue=None)),
    valid("call.abandoned ignores reason", ev("call.abandoned", reason="whatever")),
    # --- JSON / object / size
    valid("bytes input", orjson.dumps(ev())),
    valid("str input", orjson.dumps(ev()).decode()),
    valid("bytearray input", bytearray(orjson.dumps(ev()))),
    valid("memoryview input", memoryview(orjson.dumps(ev()))),
    valid("dict input", ev()),
    valid(
        "JSON with whitespace",
        b'\n {"v": 1, "event_id": "e", "type": "call.abandoned",'
        b' "ts": "2026-11-22T09:15:02Z", "call_id": "c", "queue": "q"} \n',
    ),
    valid("exactly 64 KiB", padded(ev(), MAX_MESSAGE_BYTES), schema=False),
    valid(
        "long str under 64 KiB of UTF-8", orjson.dumps(ev(note="€" * 21000)).decode(), schema=False
    ),
    # --- v / event_id / type
    valid("v 1", ev(v=1)),
    valid("event_id 1 char", ev(event_id="x")),
    valid("event_id 128 chars", ev(event_id="x" * 128)),
    valid("event_id non-ASCII 128 code points", ev(event_id="é" * 128)),
    # --- ts
    valid("ts Z", ev(ts="2026-11-22T09:15:02Z")),
    valid("ts lowercase t and z", ev(ts="2026-11-22t09:15:02z")),
    valid("ts +00:00", ev(ts="2026-11-22T09:15:02+00:00")),
    valid("ts -00:00", ev(ts="2026-11-22T09:15:02-00:00")),
    valid("ts -05:30 with 9 fraction digits", ev(ts="2026-11-22T09:15:02.123456789-05:30")),
    valid("ts 1 fraction digit", ev(ts="2026-11-22T09:15:02.1Z")),
    valid("ts 20 fraction digits", ev(ts="2026-11-22T09:15:02.12345678901234567890Z")),
    valid("ts +23:59", ev(ts="2026-11-22T23:59:59.999+23:59")),
    valid("ts leap day 2028", ev(ts="2028-02-29T00:00:00Z")),
    valid("ts leap day 2000", ev(ts="2000-02-29T12:00:00+01:00")),
    valid("ts 30 April", ev(ts="2026-04-30T00:00:00Z")),
    valid("ts 31 December", ev(ts="2026-12-31T23:59:59Z")),
    valid("ts leap second", ev(ts="2016-12-31T23:59:60Z")),
    valid("ts far past", ev(ts="1970-01-01T00:00:00Z")),
    valid("ts far future without now", ev(ts="2999-01-01T00:00:00Z")),
    valid("ts 299.5 s ahead", ev(), now=TS_EPOCH - 299.5, schema=False),
    valid(
        "ts exactly 300 s ahead",
        ev(ts="2026-11-22T01:20:00Z"),
        now=1795310400.0 - 300,
        schema=False,
    ),
    valid("ts in the past", ev(), now=TS_EPOCH + 86400 * 365, schema=False),
    # --- call fields
    valid("call_id 256 chars", ev(call_id="c" * 256)),
    valid("queue 1 char", ev(queue="q")),
    # --- call.queued
    valid("attrs empty", ev(attrs={})),
    valid("attrs spec example", ev(attrs={"tier": "vip", "channel": "voice", "language": "zh"})),
    valid("attrs 32 keys", ev(attrs=attrs_n(32))),
    valid("attrs value empty", ev(attrs={"tier": ""})),
    valid("attrs value 256 chars", ev(attrs={"tier": "v" * 256})),
    valid("attrs key 256 chars", ev(attrs={"k" * 256: "v"})),
    valid("attrs odd key", ev(attrs={"a.b c": "v"})),
    valid("priority 0", ev(priority=0)),
    valid("priority negative", ev(priority=-5)),
    valid("priority large", ev(priority=10**15)),
    # --- call.answered / call.wrapup_ended
    valid("answered agent_id 256 chars", ev("call.answered", agent_id="a" * 256)),
    # --- call.dequeued
    *[valid(f"dequeued reason {r}", ev("call.dequeued", reason=r)) for r in DEQUEUE_REASONS],
    valid("dequeued to_queue", ev("call.dequeued", reason="overflow", to_queue="sales")),
    # --- call.ended
    valid("ended hold_s 0", ev("call.ended", hold_s=0)),
    valid("ended hold_s int", ev("call.ended", hold_s=35)),
    valid("ended hold_s float", ev("call.ended", hold_s=12.5)),
    valid("ended acw false", ev("call.ended", acw=False)),
    valid("ended acw true", ev("call.ended", acw=True)),
    # --- agent.state
    *[valid(f"agent state {s}", ev("agent.state", state=s)) for s in AGENT_STATES],
    valid("agent queues empty", ev("agent.state", queues=[])),
    valid("agent queues several", ev("agent.state", queues=["billing", "sales", "q" * 256])),
    valid("agent reason", ev("agent.state", state="not_ready", reason="lunch")),
    valid("agent reason empty", ev("agent.state", reason="")),
    valid("agent reason 256 chars", ev("agent.state", reason="r" * 256)),
]

INVALID = [
    # --- not JSON
    invalid("not JSON: truncated", b'{"v":1', "$", "not JSON"),
    invalid("not JSON: empty", b"", "$", "not JSON"),
    invalid("not JSON: bad UTF-8", b'{"v":"\xff"}', "$", "not JSON"),
    invalid("not JSON: NaN", b'{"v":NaN}', "$", "not JSON"),
    invalid("not JSON: two documents", b'{"v":1}{"v":1}', "$", "not JSON"),
    invalid("not JSON: str input", "{'v': 1}", "$", "not JSON"),
    # --- not an object
    invalid("array", b"[]", "$", "expected a JSON object, got array"),
    invalid("string", b'"call.queued"', "$", "expected a JSON object, got string"),
    invalid("null", b"null", "$", "expected a JSON object, got null"),
    invalid("number", b"1", "$", "expected a JSON object, got integer"),
    invalid("decoded list", [ev()], "$", "expected a JSON object, got array"),
    invalid("unsupported input type", 12, "$", "expected a JSON object", schema=False),
    # --- 64 KiB
    invalid(
        "64 KiB + 1 byte",
        padded(ev(), MAX_MESSAGE_BYTES + 1),
        "$",
        "larger than 65536",
        schema=False,
    ),
    invalid(
        "str over 64 KiB of UTF-8",
        orjson.dumps(ev(note="€" * 22000)).decode(),
        "$",
        "larger than 65536",
        schema=False,
    ),
    # --- required fields
    *[
        invalid(f"missing {key}", ev(**{key: DEL}), key, "required field missing")
        for key in ("v", "event_id", "type", "ts", "call_id", "queue")
    ],
    *[
        invalid(f"{t} missing agent_id", ev(t, agent_id=DEL), "agent_id", "required field missing")
        for t in ("call.answered", "call.ended", "call.wrapup_ended", "agent.state")
    ],
    invalid("dequeued missing reason", ev("call.dequeued", reason=DEL), "reason", "missing"),
    invalid("agent missing state", ev("agent.state", state=DEL), "state", "missing"),
    invalid("agent missing queues", ev("agent.state", queues=DEL), "queues", "missing"),
    invalid("empty object", {}, "v", "required field missing"),
    # --- v
    invalid("v string", ev(v="1"), "v", 'expected integer 1, got "1"'),
    invalid("v true", ev(v=True), "v", "expected integer 1, got true"),
    invalid("v 2", ev(v=2), "v", "expected integer 1, got 2"),
    invalid("v 0", ev(v=0), "v", "got 0"),
    invalid("v null", ev(v=None), "v", "got null"),
    invalid("v 1.5", ev(v=1.5), "v", "got 1.5"),
    invalid("v 1.0", ev(v=1.0), "v", "got 1.0", schema=False),
    # --- event_id
    invalid("event_id number", ev(event_id=5), "event_id", "expected string, got 5"),
    invalid("event_id null", ev(event_id=None), "event_id", "expected string, got null"),
    invalid("event_id empty", ev(event_id=""), "event_id", "must not be empty"),
    invalid("event_id 129 chars", ev(event_id="x" * 129), "event_id", "longer than 128"),
    # --- type
    invalid("type number", ev(type=5), "type", "expected string, got 5"),
    invalid("type unknown", ev(type="call.foo"), "type", "unknown type 'call.foo'"),
    invalid("type wrong case", ev(type="CALL.QUEUED"), "type", "unknown type"),
    invalid("type empty", ev(type=""), "type", "unknown type ''"),
    # --- ts: type and offset
    invalid("ts number", ev(ts=1795310102), "ts", "expected string, got 1795310102"),
    invalid("ts null", ev(ts=None), "ts", "expected string, got null"),
    invalid("ts no offset", ev(ts="2026-11-22T09:15:02.120"), "ts", "has no UTC offset"),
    invalid("ts no offset no fraction", ev(ts="2026-11-22T09:15:02"), "ts", "no UTC offset"),
    invalid(
        "ts offset without colon",
        ev(ts="2026-11-22T09:15:02+0800"),
        "ts",
        "invalid UTC offset '+0800'",
    ),
    invalid("ts offset hours only", ev(ts="2026-11-22T09:15:02+08"), "ts", "invalid UTC offset"),
    invalid("ts offset one-digit hour", ev(ts="2026-11-22T09:15:02+8:00"), "ts", "UTC offset"),
    invalid("ts offset hour 24", ev(ts="2026-11-22T09:15:02+24:00"), "ts", "out of range"),
    invalid("ts offset minute 60", ev(ts="2026-11-22T09:15:02-08:60"), "ts", "out of range"),
    invalid("ts offset UTC word", ev(ts="2026-11-22T09:15:02 UTC"), "ts", "invalid UTC offset"),
    invalid("ts trailing newline", ev(ts="2026-11-22T09:15:02Z\n"), "ts", "invalid UTC offset"),
    # --- ts: not RFC 3339
    invalid("ts date only", ev(ts="2026-11-22"), "ts", "date without time"),
    invalid("ts empty", ev(ts=""), "ts", "not an RFC 3339 date-time"),
    invalid("ts words", ev(ts="yesterday"), "ts", "not an RFC 3339 date-time"),
    invalid("ts basic format", ev(ts="20261122T091502Z"), "ts", "not an RFC 3339"),
    invalid("ts no seconds", ev(ts="2026-11-22T09:15Z"), "ts", "not an RFC 3339"),
    invalid("ts leading space", ev(ts=" 2026-11-22T09:15:02Z"), "ts", "not an RFC 3339"),
    invalid("ts non-ASCII digits", ev(ts="٢٠٢٦-11-22T09:15:02Z"), "ts", "not an RFC 3339"),
    invalid("ts ISO week date", ev(ts="2026-W47-7T09:15:02Z"), "ts", "not an RFC 3339"),
    invalid("ts space separator", ev(ts="2026-11-22 09:15:02Z"), "ts", "expected 'T'"),
    invalid("ts comma fraction", ev(ts="2026-11-22T09:15:02,120Z"), "ts", "UTC offset"),
    invalid("ts empty fraction", ev(ts="2026-11-22T09:15:02.Z"), "ts", "UTC offset"),
    invalid("ts month 13", ev(ts="2026-13-01T00:00:00Z"), "ts", "month 13 out of range"),
    invalid("ts month 00", ev(ts="2026-00-01T00:00:00Z"), "ts", "month 00 out of range"),
    invalid("ts day 00", ev(ts="2026-11-00T00:00:00Z"), "ts", "day 00 out of range"),
    invalid("ts day 32", ev(ts="2026-01-32T00:00:00Z"), "ts", "day 32 out of range"),
    invalid("ts 31 April", ev(ts="2026-04-31T00:00:00Z"), "ts", "day 31 out of range for 2026-04"),
    invalid("ts 29 Feb 2026", ev(ts="2026-02-29T00:00:00Z"), "ts", "day 29 out of range"),
    invalid("ts 29 Feb 1900", ev(ts="1900-02-29T00:00:00Z"), "ts", "day 29 out of range"),
    invalid("ts 29 Feb 2100", ev(ts="2100-02-29T00:00:00Z"), "ts", "day 29 out of range"),
    invalid("ts hour 24", ev(ts="2026-11-22T24:00:00Z"), "ts", "hour 24 out of range"),
    invalid("ts minute 60", ev(ts="2026-11-22T09:60:00Z"), "ts", "minute 60 out of range"),
    invalid("ts second 61", ev(ts="2026-11-22T09:15:61Z"), "ts", "second 61 out of range"),
    invalid("ts month 13 and no offset", ev(ts="2026-13-01T00:00:00"), "ts", "month 13"),
    # --- ts: future
    invalid("ts 300.5 s ahead", ev(), "ts", "300.500 s ahead", now=TS_EPOCH - 300.5, schema=False),
    invalid("ts a day ahead", ev(), "ts", "86400.000 s ahead", now=TS_EPOCH - 86400, schema=False),
    # --- call_id / queue
    invalid("call_id number", ev(call_id=7), "call_id", "expected string, got 7"),
    invalid("call_id null", ev(call_id=None), "call_id", "expected string, got null"),
    invalid("call_id empty", ev(call_id=""), "call_id", "must not be empty"),
    invalid("call_id 257 chars", ev(call_id="c" * 257), "call_id", "longer than 256"),
    invalid("queue array", ev(queue=["billing"]), "queue", 'expected string, got ["billing"]'),
    invalid("queue 257 chars", ev(queue="q" * 257), "queue", "longer than 256 characters (257)"),
    invalid("abandoned queue missing", ev("call.abandoned", queue=DEL), "queue", "missing"),
    # --- call.queued
    invalid("attrs array", ev(attrs=["vip"]), "attrs", "expected object"),
    invalid("attrs string", ev(attrs="vip"), "attrs", "expected object"),
    invalid("attrs null", ev(attrs=None), "attrs", "got null"),
    invalid("attrs 33 keys", ev(attrs=attrs_n(33)), "attrs", "more than 32 keys (33)"),
    invalid("attrs int value", ev(attrs={"tier": 3}), "attrs.tier", "expected string, got 3"),
    invalid("attrs null value", ev(attrs={"a": "x", "tier": None}), "attrs.tier", "got null"),
    invalid("attrs nested value", ev(attrs={"tier": {"x": "y"}}), "attrs.tier", "got {"),
    invalid("attrs odd key bad value", ev(attrs={"a.b": 1}), 'attrs["a.b"]', "got 1"),
    invalid(
        "attrs value 257 chars", ev(attrs={"tier": "v" * 257}), "attrs.tier", "longer than 256"
    ),
    invalid("attrs key 257 chars", ev(attrs={"k" * 257: "v"}), "attrs", "key longer than 256"),
    invalid("attrs empty key", ev(attrs={"": "v"}), "attrs", "empty key"),
    invalid("priority string", ev(priority="1"), "priority", 'expected integer, got "1"'),
    invalid("priority true", ev(priority=True), "priority", "expected integer, got true"),
    invalid("priority 1.5", ev(priority=1.5), "priority", "expected integer, got 1.5"),
    invalid("priority null", ev(priority=None), "priority", "got null"),
    invalid("priority 2.0", ev(priority=2.0), "priority", "got 2.0", schema=False),
    # --- call.answered / call.wrapup_ended
    invalid(
        "answered agent_id number",
        ev("call.answered", agent_id=117),
        "agent_id",
        "expected string, got 117",
    ),
    invalid("wrapup agent_id empty", ev("call.wrapup_ended", agent_id=""), "agent_id", "empty"),
    invalid(
        "answered agent_id 257 chars",
        ev("call.answered", agent_id="a" * 257),
        "agent_id",
        "longer than 256",
    ),
    # --- call.dequeued
    invalid(
        "dequeued unknown reason",
        ev("call.dequeued", reason="hangup"),
        "reason",
        "unknown reason 'hangup'",
    ),
    invalid(
        "dequeued reason wrong case",
        ev("call.dequeued", reason="Timeout"),
        "reason",
        "unknown reason",
    ),
    invalid("dequeued reason number", ev("call.dequeued", reason=3), "reason", "expected string"),
    invalid(
        "dequeued to_queue number",
        ev("call.dequeued", to_queue=5),
        "to_queue",
        "expected string, got 5",
    ),
    invalid("dequeued to_queue empty", ev("call.dequeued", to_queue=""), "to_queue", "empty"),
    invalid(
        "dequeued to_queue 257 chars",
        ev("call.dequeued", to_queue="q" * 257),
        "to_queue",
        "longer than 256",
    ),
    # --- call.ended
    invalid(
        "ended hold_s negative",
        ev("call.ended", hold_s=-1),
        "hold_s",
        "expected number >= 0, got -1",
    ),
    invalid(
        "ended hold_s slightly negative", ev("call.ended", hold_s=-0.001), "hold_s", "got -0.001"
    ),
    invalid("ended hold_s string", ev("call.ended", hold_s="35"), "hold_s", 'got "35"'),
    invalid("ended hold_s true", ev("call.ended", hold_s=True), "hold_s", "got true"),
    invalid("ended hold_s null", ev("call.ended", hold_s=None), "hold_s", "got null"),
    invalid(
        "ended acw string", ev("call.ended", acw="false"), "acw", 'expected boolean, got "false"'
    ),
    invalid("ended acw 0", ev("call.ended", acw=0), "acw", "expected boolean, got 0"),
    invalid("ended acw null", ev("call.ended", acw=None), "acw", "got null"),
    # --- agent.state
    invalid(
        "agent unknown state", ev("agent.state", state="busy"), "state", "unknown state 'busy'"
    ),
    invalid("agent state wrong case", ev("agent.state", state="AVAILABLE"), "state", "unknown"),
    invalid("agent state number", ev("agent.state", state=1), "state", "expected string, got 1"),
    invalid(
        "agent queues string",
        ev("agent.state", queues="billing"),
        "queues",
        "expected array of strings",
    ),
    invalid("agent queues null", ev("agent.state", queues=None), "queues", "got null"),
    invalid(
        "agent queues number item",
        ev("agent.state", queues=[1]),
        "queues[0]",
        "expected string, got 1",
    ),
    invalid(
        "agent queues null item",
        ev("agent.state", queues=["a", "b", None]),
        "queues[2]",
        "expected string, got null",
    ),
    invalid(
        "agent queues empty item",
        ev("agent.state", queues=["a", ""]),
        "queues[1]",
        "must not be empty",
    ),
    invalid(
        "agent queues long item",
        ev("agent.state", queues=["q" * 257]),
        "queues[0]",
        "longer than 256",
    ),
    invalid("agent reason number", ev("agent.state", reason=5), "reason", "expected string"),
    invalid(
        "agent reason 257 chars", ev("agent.state", reason="r" * 257), "reason", "longer than 256"
    ),
    invalid("agent agent_id null", ev("agent.state", agent_id=None), "agent_id", "got null"),
]
