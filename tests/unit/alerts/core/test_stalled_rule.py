"""The feed-stalled kind: no arrivals where the rate makes that improbable, freshness, the
broker, the snapshot source (:mod:`alerts.core.stalled_rule`)."""

from __future__ import annotations

import pytest

from ..one_rule import T0, engine


def test_feed_stalled_fires_with_every_figure_fine():
    eng = engine({"kind": "feed_stalled", "stall_after": "60s", "min_expected": 5,
                  "for": "0s", "segments": ["billing"]})
    healthy = {"windows": {"60m": {"offered": 600}, "today": {"offered": 1000}},
               "now": {"waiting": 0, "oldest_wait_s": None}}
    notices = []
    for i in range(12):  # offered never moves again: no arrivals for 110 s
        s = {"segments": {"billing": healthy}, "feed": {"broker_reachable": True}}
        notices += [(i * 10, n.status, n.details.get("why")) for n in eng.step(s, T0 + i * 10)]
    assert notices == [(60, "firing", "no_arrivals")]
    moved = {**healthy, "windows": {**healthy["windows"], "today": {"offered": 1001}}}
    resolved = eng.step({"segments": {"billing": moved}}, T0 + 130)
    assert [n.status for n in resolved] == ["resolved"]


def test_feed_stalled_needs_a_rate_that_makes_silence_improbable():
    eng = engine({"kind": "feed_stalled", "stall_after": "60s", "min_expected": 20,
                  "segments": ["billing"], "for": "0s"})
    quiet = {"windows": {"60m": {"offered": 3}, "today": {"offered": 10}}}
    assert all(eng.step({"segments": {"billing": quiet}}, T0 + i * 60) == []
               for i in range(30))


@pytest.mark.parametrize(("extra", "why"), [
    ({"feed": {"broker_reachable": False, "last_record_age_s": 12.0}}, "broker"),
    ({"freshness": {"stale_partitions": ["cc.call-events/1"], "segments": {}}}, "freshness"),
])
def test_feed_stalled_from_the_feed_and_freshness_blocks(extra, why):
    eng = engine({"kind": "feed_stalled", "for": "0s"})
    s = {"segments": {"all": {"windows": {"today": {"offered": 5}}}}, **extra}
    (n,) = eng.step(s, T0)
    assert (n.segment, n.status, n.details["why"]) == ("all", "firing", why)


def test_feed_stalled_per_segment_freshness():
    eng = engine({"kind": "feed_stalled", "for": "0s", "segments": ["*", "!all"]})
    s = {"segments": {"all": {}, "billing": {}, "sales": {}},
         "freshness": {"stale_partitions": [], "segments": {
             "billing": {"age_s": 45.0, "stale": True}, "sales": {"age_s": 1.0,
                                                                  "stale": False}}}}
    assert [(n.segment, n.details["why"]) for n in eng.step(s, T0)] == [("billing",
                                                                         "freshness")]


def test_feed_stalled_when_the_source_fails():
    eng = engine({"kind": "feed_stalled", "stall_after": "30s", "for": "0s"})
    assert eng.step({"segments": {"all": {}}}, T0) == []
    assert eng.step(None, T0 + 20, source_error="connection refused") == []
    (n,) = eng.step(None, T0 + 30, source_error="connection refused")
    assert (n.segment, n.details["why"]) == ("all", "source")
    assert [x.status for x in eng.step({"segments": {"all": {}}}, T0 + 40)] == ["resolved"]


def test_feed_stalled_when_the_source_never_answered():
    eng = engine({"kind": "feed_stalled", "stall_after": "30s", "for": "0s"})
    assert eng.step(None, T0, source_error="refused") == []
    (n,) = eng.step(None, T0 + 30, source_error="refused")
    assert (n.segment, n.value, n.details["error"]) == ("all", 30.0, "refused")
