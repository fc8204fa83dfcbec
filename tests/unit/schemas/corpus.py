"""The generated corpus the msgspec validator (schemas.validate) is checked on against the
hand-written one (schemas.legacy) and the JSON Schema: 100,000 lines of simulated traffic
(valid) and mutations of it (every field removed, wrong types, bad timestamps, extreme
numbers, deep nesting, unknown fields, duplicate keys, random bytes, truncations, byte
flips, every input type), and how one decision is compared (``_outcome``)."""

from __future__ import annotations

import dataclasses
import functools
import json
import random
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import orjson

from schemas import Event, InvalidEvent, legacy
from schemas import validate as validate_mod
from streams.adapters.simulator import Simulator, default_models

START = 1_795_300_000.0  # 2026-11-21T21:46:40Z
NAMES = tuple(f.name for f in dataclasses.fields(Event))
REFERENCE = legacy.parse_event  # the hand-written validator, kept before any patching

# The fields each type declares; any other field is an unknown extra for that type.
OWN_FIELDS = {
    "call.queued": ("call_id", "queue", "attrs", "priority"),
    "call.answered": ("call_id", "queue", "agent_id"),
    "call.abandoned": ("call_id", "queue"),
    "call.dequeued": ("call_id", "queue", "reason", "to_queue"),
    "call.ended": ("call_id", "queue", "agent_id", "hold_s", "acw"),
    "call.wrapup_ended": ("call_id", "queue", "agent_id"),
    "agent.state": ("agent_id", "state", "queues", "reason"),
}
COMMON = ("v", "event_id", "type", "ts")
ALL_FIELDS = tuple(dict.fromkeys(COMMON + sum(OWN_FIELDS.values(), ())))

TRICKY: tuple[Any, ...] = (
    None, True, False, 0, 1, -1, 1.0, 2.0, 0.5, -0.0, 1e308, -1e-300, 5e-324,
    2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30,
    "", "x", "x" * 128, "x" * 129, "x" * 256, "x" * 257, "é" * 256, "\u0000", "\U0001f600",
    [], ["a"], [""], ["a", 1], ["x" * 257], ["q"] * 40, {}, {"k": "v"}, {"k": 1},
    {"": "v"}, {"k": None}, {f"k{i}": "v" for i in range(33)}, [[[]]],
    "call.queued", "agent.state", "available", "timeout", "Timeout",
    "2026-11-21T21:46:40Z", "2026-11-21T21:46:40", "2026-02-29T00:00:00Z",
)  # fmt: skip

BAD_TIMESTAMPS: tuple[str, ...] = (
    "2026-11-21T21:46:40.120", "2026-11-21T21:46:40", "2026-11-21T21:46:40+0800",
    "2026-11-21T21:46:40+08", "2026-11-21T21:46:40+8:00", "2026-11-21T21:46:40+24:00",
    "2026-11-21T21:46:40-08:60", "2026-11-21T21:46:40 UTC", "2026-11-21T21:46:40Z\n",
    "2026-11-21", "", "yesterday", "20261121T214640Z", "2026-11-21T21:46Z",
    " 2026-11-21T21:46:40Z", "2026-11-21 21:46:40Z", "2026-11-21T21:46:40,120Z",
    "2026-11-21T21:46:40.Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
    "2026-11-00T00:00:00Z", "2026-01-32T00:00:00Z", "2026-04-31T00:00:00Z",
    "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-11-21T24:00:00Z",
    "2026-11-21T21:60:00Z", "2026-11-21T21:46:61Z", "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00+00:01", "9999-12-01T00:00:00Z",
    "9999-12-31T23:59:59-23:59", "٢٠٢٦-11-21T21:46:40Z", "2026-11-21T21:46:4٠Z",
    "2026-11-21T21:46:40.1٢Z", "2026-11-21T21:46:40.12x", "2026-11-21T21:46:40.123Zz",
    "2026-11-21T21:46:40ZZ", "2026-11-21T21:46:40.123+08:00Z", "2026-11-21t21:46:40.123",
    "2026-11-21T21:46:40.000+08:0", "2026-11-21T21:46:40.000+08:000",
)  # fmt: skip
GOOD_TIMESTAMPS: tuple[str, ...] = (
    "2026-11-21T21:46:40Z", "2026-11-21t21:46:40z", "2026-11-21T21:46:40.1Z",
    "2026-11-21T21:46:40.12Z", "2026-11-21T21:46:40.123z", "2026-11-21T21:46:40.1234Z",
    "2026-11-21T21:46:40.123456789Z", "2026-11-21T21:46:40." + "9" * 30 + "Z",
    "2026-11-21T21:46:40.999+08:00", "2026-11-21T21:46:40-00:00", "2026-11-21T21:46:40+23:59",
    "2016-12-31T23:59:60Z", "2016-12-31T23:59:60.5+01:00", "1970-01-01T00:00:00Z",
    "1970-01-01T00:30:00.5+00:30", "9999-11-30T23:59:59.999Z", "2000-02-29T12:00:00+01:00",
    "2026-11-21T21:46:40.000+14:00", "2026-11-21T21:46:40.000-12:00",
)  # fmt: skip

# Raw JSON values (bytes) that only a byte-level corpus can hold.
RAW_VALUES: tuple[bytes, ...] = (
    b"1e400", b"-1e400", b"1" * 400, b"1" * 5000, b"0." + b"1" * 500, b"1e-400",
    b"1.7976931348623157e308", b"1.7976931348623159e308", b"2e308", b"4.9e-324", b"-0",
    b"-0.0", b"0e0", b"1E2", b"1.0", b"35", b"18446744073709551615", b"18446744073709551616",
    b"9223372036854775808", b"-9223372036854775809", b"12345678901234567890123",
    b'"\xff"', b'"\xed\xa0\x80"', b'"\xc0\xaf"', b'"\\ud800"', b'"\\udc00\\ud800"',
    b'"\\ud83d\\ude00"', b'"\\u0000"', b'"\x7f"', b'"a\\/b"', b'"\x01"', b'"\\x"',
    b"[" * 100 + b"]" * 100, b"[" * 300 + b"]" * 300, b"[" * 1023 + b"]" * 1023,
    b"[" * 1100 + b"]" * 1100, b'{"a":' * 200 + b"1" + b"}" * 200, b"NaN", b"Infinity",
    b"tru", b"nul", b"01", b"1.", b".5", b"+1", b"-", b"[1,]", b'{"a":1,}',
)  # fmt: skip


class Case(NamedTuple):
    kind: str
    data: Any
    now: float | None = None


def _simulated(n: int, seed: int) -> list[dict]:
    sim = Simulator(default_models(rate=20.0), start=START, seed=seed)
    out: list[dict] = []
    t = START
    while len(out) < n:
        t += 1800
        out.extend(sim.advance(t))
    return out[:n]


def _synthetic(rng: random.Random) -> dict:
    """A valid event of any type with its optional fields drawn (the simulator leaves some
    out: hold_s as float, acw, priority extremes, empty queues...)."""
    etype = rng.choice(tuple(OWN_FIELDS))
    obj: dict[str, Any] = {
        "v": 1,
        "event_id": rng.choice(["e", "x" * 128, "é" * 128, f"e-{rng.random()}"]),
        "type": etype,
        "ts": rng.choice(GOOD_TIMESTAMPS),
    }
    ident = ["c", "q" * 256, "ü", "a b", "\U0001f600"]
    if etype == "agent.state":
        obj["agent_id"] = rng.choice(ident)
        obj["state"] = rng.choice(["available", "on_call", "acw", "not_ready", "offline"])
        obj["queues"] = rng.choice([[], ["billing"], ["a", "b"], [f"q{i}" for i in range(3000)]])
        if rng.random() < 0.5:
            obj["reason"] = rng.choice(["", "lunch", "r" * 256])
        return obj
    obj["call_id"] = rng.choice(ident)
    obj["queue"] = rng.choice(ident)
    if etype in ("call.answered", "call.ended", "call.wrapup_ended"):
        obj["agent_id"] = rng.choice(ident)
    if etype == "call.queued":
        if rng.random() < 0.6:
            obj["attrs"] = rng.choice([{}, {"tier": "vip"}, {f"k{i}": "v" * 256 for i in range(32)},
                                       {"k" * 256: ""}, {"a.b c": "x"}])
        if rng.random() < 0.6:
            obj["priority"] = rng.choice([0, -5, 10**15, 2**63 - 1, -(2**63), 2**63, 2**64 - 1])
    if etype == "call.dequeued":
        obj["reason"] = rng.choice(["timeout", "transfer", "callback", "ivr_exit", "overflow",
                                    "other"])
        if rng.random() < 0.5:
            obj["to_queue"] = rng.choice(ident)
    if etype == "call.ended":
        if rng.random() < 0.6:
            obj["hold_s"] = rng.choice([0, 35, 12.5, -0.0, 1e-300, 1e308, 2**64 + 1, 10**30])
        if rng.random() < 0.5:
            obj["acw"] = rng.choice([True, False])
    return obj


def _dumps(obj: Any) -> bytes:
    """JSON bytes; also for integers beyond 64 bits, which orjson refuses to write."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _with_raw(line: bytes, key: bytes, raw: bytes, first: bool = False) -> bytes:
    """``line`` (a JSON object) with ``"key": raw`` added last (or first)."""
    if first:
        return b'{"' + key + b'":' + raw + b"," + line[1:]
    return line[:-1] + b',"' + key + b'":' + raw + b"}"


def _mutations(obj: dict, rng: random.Random) -> Iterator[Case]:
    etype = obj.get("type")
    own = OWN_FIELDS.get(etype, ())
    line = _dumps(obj)
    for key in obj:  # every field removed
        yield Case("remove", _dumps({k: v for k, v in obj.items() if k != key}))
    for key in rng.sample(ALL_FIELDS, 4):  # wrong types, foreign fields, extreme values
        yield Case("replace", _dumps({**obj, key: rng.choice(TRICKY)}))
    yield Case("ts bad", _dumps({**obj, "ts": rng.choice(BAD_TIMESTAMPS)}))
    yield Case("ts good", _dumps({**obj, "ts": rng.choice(GOOD_TIMESTAMPS)}))
    yield Case("ts fuzz", _dumps({**obj, "ts": _fuzz_ts(rng)}))
    yield Case("extra", _with_raw(line, b"x-extra", rng.choice(RAW_VALUES)))
    foreign = [k for k in ALL_FIELDS if k not in own and k not in COMMON]
    yield Case("foreign raw", _with_raw(line, rng.choice(foreign).encode(), rng.choice(RAW_VALUES)))
    target = rng.choice(ALL_FIELDS).encode()
    yield Case("field raw", _with_raw(line, target, rng.choice(RAW_VALUES)))
    key = rng.choice(list(obj)).encode()
    value = _dumps(rng.choice(TRICKY))
    yield Case("duplicate last", _with_raw(line, key, value))
    yield Case("duplicate first", _with_raw(line, key, value, first=True))
    cut = rng.randrange(len(line))
    yield Case("truncated", line[:cut])
    flipped = bytearray(line)
    flipped[rng.randrange(len(line))] = rng.randrange(256)
    yield Case("byte flip", bytes(flipped))
    yield Case("whitespace", rng.choice([b" \t\r\n", b"\xef\xbb\xbf", b"\x0c", b"\x00", b"{}"])
               + line if rng.random() < 0.5 else line + rng.choice([b" \n", b"\x00", b"{}", b","]))


def _fuzz_ts(rng: random.Random) -> str:
    """Like the processor fuzz test: any year, random fields, long fractions, odd offsets."""
    return (
        f"{rng.randrange(10000):04d}-{rng.randrange(14):02d}-{rng.randrange(33):02d}"
        f"{rng.choice('Tt T')}{rng.randrange(26):02d}:{rng.randrange(62):02d}:"
        f"{rng.randrange(62):02d}{rng.choice(['', '.5', '.123', '.123456789', '.' + '9' * 30])}"
        f"{rng.choice(['Z', 'z', '+14:00', '-12:00', '+23:59', '-23:59', '+00:00', '+24:00', ''])}"
    )


def _inputs(case: Case, rng: random.Random) -> Case:
    """The same line through another input type now and then."""
    roll = rng.random()
    if roll < 0.05:
        try:
            return case._replace(data=case.data.decode())
        except UnicodeDecodeError:
            return case
    if roll < 0.08:
        return case._replace(data=bytearray(case.data))
    if roll < 0.10:
        return case._replace(data=memoryview(case.data))
    if roll < 0.20:
        try:
            obj = orjson.loads(case.data)
        except orjson.JSONDecodeError:
            return case
        return case._replace(data=obj)
    return case


def build_corpus(n: int = 100_000, seed: int = 9) -> list[Case]:
    rng = random.Random(seed)
    sim = _simulated(n // 2, seed)
    cases = [Case("simulated", orjson.dumps(e)) for e in sim]
    # The future limit on a tenth of the simulated lines, with the clock just before/after.
    for i in range(0, len(cases), 10):
        ts = validate_mod.parse_event(cases[i].data).ts
        cases[i] = cases[i]._replace(now=ts - rng.choice([-1.0, 0.0, 299.5, 300.0, 300.5, 1e6]))
    while len(cases) < n:
        roll = rng.random()
        if roll < 0.2:
            cases.append(Case("synthetic", _dumps(_synthetic(rng))))
        elif roll < 0.7:
            base = _synthetic(rng) if rng.random() < 0.3 else rng.choice(sim)
            cases.extend(_inputs(c, rng) for c in _mutations(base, rng))
        elif roll < 0.9:
            cases.append(Case("random bytes", rng.randbytes(rng.randrange(64))))
        else:
            value = rng.choice(RAW_VALUES + (b"[]", b"null", b'"x"', b"1", b"{}", b""))
            cases.append(Case("not an object", value))
    return cases[:n]


@functools.cache
def corpus() -> list[Case]:
    return build_corpus()


def _outcome(parse: Callable[..., Event], case: Case) -> tuple:
    try:
        event = parse(case.data, now=case.now)
    except InvalidEvent as exc:
        assert str(exc) == f"{exc.field}: {exc.reason}"
        return ("invalid", exc.field, exc.reason)
    assert type(event) is Event
    # repr tells 0.0 from -0.0, 1 from 1.0, tuples from lists and keeps the dict order.
    return ("valid", repr([getattr(event, name) for name in NAMES if name != "raw"]),
            _JsonValue(event.raw))


class _JsonValue:
    """A decoded JSON value compared exactly (types, key order) and without recursion: raw
    may hold arrays nested 1,000 deep, beyond what == and repr can walk."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        assert isinstance(other, _JsonValue)
        stack = [(self.value, other.value)]
        while stack:
            a, b = stack.pop()
            if type(a) is not type(b):
                return False
            if isinstance(a, dict):
                if list(a) != list(b):
                    return False
                stack.extend(zip(a.values(), b.values(), strict=True))
            elif isinstance(a, list):
                if len(a) != len(b):
                    return False
                stack.extend(zip(a, b, strict=True))
            elif repr(a) != repr(b):
                return False
        return True

    def __repr__(self) -> str:
        return "<raw>"
