"""The ``[engine]`` section: windows through the one duration parser, segments, policies."""

from __future__ import annotations

import pytest

from streams.core.config import EngineSettings, SegmentPolicy, parse_engine, parse_window
from streams.core.errors import ConfigError


@pytest.mark.parametrize(("text", "seconds"), [
    ("5m", 300), ("15m", 900), ("90s", 90), ("2h", 7200), ("1d", 86400), ("1.5m", 90),
])
def test_a_window_keeps_its_name_and_whole_seconds(text, seconds):
    assert parse_window("w", text) == (text, seconds)


@pytest.mark.parametrize(("text", "message"), [
    ("5x", "expected a duration like"),
    (" 5m", "expected a duration like"),
    (300, "expected a duration like"),
    ("25h", "window length must be 1 s .. 24 h"),
    ("500ms", "window length must be 1 s .. 24 h"),
    ("1500ms", "window length must be whole seconds"),
])
def test_bad_windows_name_the_key(text, message):
    with pytest.raises(ConfigError, match=f"^engine.windows\\[0\\]: {message}"):
        parse_window("engine.windows[0]", text)


def test_parse_engine_applies_a_table_over_its_base():
    engine = parse_engine("engine", EngineSettings(), {
        "timezone": "Asia/Shanghai", "windows": ["10m"], "defaults": {"sl_threshold_s": 30},
        "segments": {"vip": {"queues": ["*"], "match": {"tier": "vip"}}}})
    assert engine.timezone == "Asia/Shanghai" and engine.windows == (("10m", 600),)
    assert engine.defaults == SegmentPolicy(sl_threshold_s=30.0)
    (vip,) = engine.segments
    assert vip.match == (("tier", ("vip",)),) and vip.policy.sl_threshold_s == 30.0
    assert engine.policy_for("vip") is vip.policy and engine.policy_for("x") is engine.defaults


@pytest.mark.parametrize(("values", "message"), [
    ({"windows": ["5m", "5m"]}, "listed twice or is reserved"),
    ({"windows": "5m"}, "expected a list like"),
    ({"segments": {"today": {"queues": ["*"]}}}, "segment names are 1..64"),
    ({"segments": {"x": {}}}, r"engine\.segments\.x\.queues: required"),
    ({"segments": {"all": {"queues": ["a"]}}}, "'all' holds every visit"),
    ({"max_segments": 2}, r"engine\.max_segments: must be >= 3"),
    ({"bogus": 1}, r"engine\.bogus: unknown key"),
])
def test_engine_tables_that_cannot_work(values, message):
    with pytest.raises(ConfigError, match=message):
        parse_engine("engine", EngineSettings(), values)
