"""Segments (``streams.core.engine.segments``): ``all``, queues and configured selectors,
per-segment settings, membership decided when a visit starts, and the bound on segments
(queues past ``max_segments`` fold into ``other``).

Timelines are in seconds after T0 unless said otherwise; T = 20 s.
"""

from __future__ import annotations

from dataclasses import replace

from schemas import parse_event
from streams.core.config import EngineSettings, SegmentPolicy, SegmentSpec
from streams.core.engine import Engine
from streams.core.engine.segments import Segments

from .support import T0, agent, ev, run, seg, win


def test_per_segment_threshold_and_policy():
    vip = SegmentSpec("vip", ("*",), (("tier", ("vip",)),), SegmentPolicy(sl_threshold_s=10.0))
    s = replace(EngineSettings(), segments=(vip,))
    engine = run([ev("call.queued", 0, attrs={"tier": "vip"}),
                  ev("call.answered", 15, agent_id="a")], s)
    assert win(engine, 60, name="vip")["answered_in_sl"] == 0
    assert win(engine, 60, name="vip")["sl_missed"] == 1
    assert win(engine, 60, name="billing")["answered_in_sl"] == 1
    assert win(engine, 60, name="all")["sl_met"] == 1
    assert seg(engine, 60, "vip")["forecast"]["aht_s"] == 300.0   # default_aht_s, none handled


def test_segments_all_queues_and_configured_selectors():
    specs = (SegmentSpec("vip", ("*",), (("tier", ("vip", "gold")),)),
             SegmentSpec("sales-zh", ("sales*",), (("language", ("zh",)),)),
             SegmentSpec("billing", ("billing", "billing-*")))
    s = replace(EngineSettings(), segments=specs)
    engine = run([
        ev("call.queued", 0, "c1", "sales-east", attrs={"tier": "gold", "language": "zh"}),
        ev("call.queued", 0, "c2", "billing-2", attrs={"tier": "standard"}),
        ev("call.queued", 0, "c3", "support"),
        agent(0, "a1", "available", ["sales-west"]),
    ], s)
    snap = engine.snapshot(T0 + 1)["segments"]
    # sales-west has an agent and no call: no segment of its own (segments come from calls)
    assert list(snap) == ["all", "billing", "billing-2", "sales-east", "sales-zh", "support",
                          "vip"]
    offered = {name: body["windows"]["5m"]["offered"] for name, body in snap.items()}
    assert offered == {"all": 3, "billing": 1, "billing-2": 1, "sales-east": 1,
                       "sales-zh": 1, "support": 1, "vip": 1}
    # agents: by queue globs only (attributes do not apply to agents)
    staffed = {name: body["now"]["agents"]["staffed"] for name, body in snap.items()}
    assert staffed == {"all": 1, "billing": 0, "billing-2": 0, "sales-east": 0,
                       "sales-zh": 1, "support": 0, "vip": 1}


def test_membership_is_decided_when_the_visit_starts_and_attrs_merge_over_the_call():
    vip = SegmentSpec("vip", ("*",), (("tier", ("vip",)),))
    s = replace(EngineSettings(), segments=(vip,))
    engine = run([
        ev("call.queued", 0, "c1", "sales"),                                   # not vip yet
        ev("call.dequeued", 30, "c1", "sales", reason="transfer", to_queue="billing"),
        ev("call.queued", 30, "c1", "billing", attrs={"tier": "vip"}),         # vip from here
        ev("call.dequeued", 60, "c1", "billing", reason="overflow", to_queue="support"),
        ev("call.queued", 60, "c1", "support"),                                # still vip
    ], s)
    assert win(engine, 61, name="vip")["offered"] == 2
    assert win(engine, 61, name="all")["offered"] == 3
    assert win(engine, 61, name="all")["dequeued"] == 2
    assert seg(engine, 61, "support")["now"]["waiting"] == 1


# -- bounded segments (hardening, issue 8) ---------------------------------------------------------


def test_queues_past_max_segments_fold_into_other_and_are_counted():
    # room for all + other + vip + 2 queues of their own
    vip = SegmentSpec("vip", ("q*",), (("tier", ("vip",)),))
    s = EngineSettings(max_segments=5, segments=(vip,))
    events = [ev("call.queued", i, f"c{i}", f"q{i}", attrs={"tier": "vip"}) for i in range(10)]
    engine = run(events, s)
    snap = engine.snapshot(T0 + 20)["segments"]
    assert sorted(snap) == ["all", "other", "q0", "q1", "vip"]
    assert snap["other"]["windows"]["5m"]["offered"] == 8
    assert snap["all"]["windows"]["5m"]["offered"] == 10
    assert snap["vip"]["windows"]["5m"]["offered"] == 10  # configured globs still see the queue
    assert snap["other"]["now"]["waiting"] == 8
    assert engine.folded["queue_events"] == 8
    # outcomes of folded queues land in `other` too, and the choice survives save/restore
    more = [ev("call.answered", 30, "c9", "q9", agent_id="a1"),
            ev("call.queued", 31, "c10", "q1")]
    for e in more:
        engine.apply(parse_event(e))
    restored = Engine.from_bytes(engine.to_bytes(), s)
    assert restored.snapshot(T0 + 40) == engine.snapshot(T0 + 40)
    assert restored.snapshot(T0 + 40)["segments"]["other"]["windows"]["5m"]["answered"] == 1
    assert restored.folded == engine.folded


def test_twenty_thousand_distinct_queues_keep_the_default_segment_limit():
    engine = run([ev("call.queued", i / 100, f"c{i}", f"queue-{i}") for i in range(20_000)])
    segments = engine.snapshot(T0 + 250)["segments"]
    assert len(segments) == EngineSettings().max_segments
    assert sum(body["windows"]["5m"]["offered"] for name, body in segments.items()
               if name != "all") == 20_000
    assert len(engine._membership) <= 65_536


def test_a_queue_named_like_a_configured_segment_does_not_use_room():
    s = EngineSettings(max_segments=4, segments=(SegmentSpec("billing", ("billing",)),))
    engine = run([ev("call.queued", 0, "c1", "billing"), ev("call.queued", 1, "c2", "sales"),
                  ev("call.queued", 2, "c3", "support")], s)
    assert sorted(engine.snapshot(T0 + 5)["segments"]) == ["all", "billing", "other", "sales"]


def test_queues_get_a_segment_of_their_own_while_there_is_room_then_other():
    billing = SegmentSpec("billing", ("bill*",))
    segments = Segments(EngineSettings(max_segments=5, segments=(billing,)))
    assert segments.room == 2  # 5 - all - other - billing
    assert [segments.own(q) for q in ("sales", "billing", "support", "sales", "vip")] == \
        ["sales", None, "support", "sales", "other"]
    assert segments.queues == {"sales", "support"} and segments.other_used
    assert segments.names() == ["all", "billing", "other", "sales", "support"]


def test_a_visit_has_one_cell_per_policy_and_the_membership_is_cached():
    fast = SegmentPolicy(sl_threshold_s=10.0)
    specs = (SegmentSpec("vip", ("*",), (("tier", ("vip",)),), fast),
             SegmentSpec("east", ("*-east",)))
    segments = Segments(EngineSettings(segments=specs))
    cells = segments.cells_for("sales-east", {"tier": "vip", "lang": "fr"})
    assert [(c.segments, c.sl_ms) for c in cells] == [(("all", "east", "sales-east"), 20_000),
                                                      (("vip",), 10_000)]
    assert segments.cells_for("sales-east", {"tier": "vip", "lang": "de"}) is cells  # same key
    standard = segments.cells_for("sales-east", {"tier": "standard"})
    assert [c.segments for c in standard] == [("all", "east", "sales-east")]
    assert standard[0] is cells[0]  # one cell per (segments, policy)
    assert len(segments.cells) == 2 and len(segments.membership) == 2


def test_agents_belong_to_segments_by_queue_globs_only():
    specs = (SegmentSpec("vip", ("*",), (("tier", ("vip",)),)), SegmentSpec("east", ("*-east",)))
    segments = Segments(EngineSettings(segments=specs))
    assert segments.for_agent(("sales-east", "billing")) == ("all", "billing", "east",
                                                             "sales-east", "vip")
    assert segments.for_agent(("support",)) == ("all", "support", "vip")
    assert segments.for_agent(("support",)) is segments.for_agent(("support",))
