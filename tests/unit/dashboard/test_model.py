"""The board model: one rendered entry per board and language and second, whatever the
number of TVs."""

from __future__ import annotations

from dashboard.boards import DEFAULT_BOARD
from dashboard.model import Model
from streams.core.config import EngineSettings
from tests.unit.dashboard.fakes import BOARDS, NOW, SNAP, FakePoller


def test_model_renders_once_per_second_for_every_tv():
    poller = FakePoller(SNAP, NOW - 1)
    clock = [NOW]
    model = Model(poller, engine=EngineSettings(), boards=BOARDS, stale_after_s=5.0,
                  now=lambda: clock[0], history=None, alerts=None)
    first = model.entry(DEFAULT_BOARD, "en")
    for _ in range(50):  # 50 TVs in the same second: the same cached entry
        assert model.entry(DEFAULT_BOARD, "en") is first
    clock[0] += 1.0
    later = model.entry(DEFAULT_BOARD, "en")
    assert later is not first
    assert model.entry(DEFAULT_BOARD, "zh-CN") is not later  # per language
    assert first["tiles"][("all", "now")][0].startswith("tile ")
    assert first["ticker"]["reason"] == "alerting not configured"
