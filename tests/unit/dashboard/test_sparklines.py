"""The sparklines: one SVG polyline per run of known values, drawn from the server-side
history per segment, embedded as data URIs."""

from __future__ import annotations

import base64

from dashboard.history import History
from dashboard.sparklines import SL_COLOUR, segment_sparks, sparkline_svg, svg_uri

T0 = 1_795_000_000.0 - 1_795_000_000.0 % 60  # a minute boundary


def test_sparkline_svg():
    assert sparkline_svg([None, 1.0]) is None  # fewer than two points: nothing to draw
    svg = sparkline_svg([0.0, None, 2.0, 4.0], width=100, height=20, lo=0, hi=4)
    assert svg.startswith("<svg") and svg.count("<polyline") == 1 and svg.count("<circle") == 1
    flat = sparkline_svg([3.0, 3.0])
    assert "polyline" in flat


def test_a_segment_s_sparklines_come_from_its_history():
    hist = History()
    for i in range(5):
        hist.add({"segments": {"all": {"now": {"waiting": i},
                                       "windows": {"15m": {"service_level": 0.8}}}}},
                 T0 + 60 * i)
    sparks = segment_sparks(hist, T0 + 240)("all")
    assert set(sparks) == {"waiting", "sl", "offered"}
    assert sparks["waiting"] == sparkline_svg(hist.series("all", "waiting", T0 + 240), lo=0)
    assert SL_COLOUR in sparks["sl"]
    assert sparks["offered"] is None  # never reported: nothing to draw
    assert segment_sparks(hist, T0)("nope") == {"waiting": None, "sl": None, "offered": None}


def test_without_a_history_there_are_no_sparklines():
    assert segment_sparks(None, T0)("all") == {}


def test_svg_uri():
    uri = svg_uri("<svg/>")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == b"<svg/>"
