"""streams.prometheus.renderer: what /metrics serves passes promtool, and the counters'
block is reused until a checkpoint changes it."""

from __future__ import annotations

import subprocess

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from streams.prometheus import MetricsRenderer, Pipeline
from tests.support import require_tool
from tests.unit.streams.prometheus.support import _sample_with_everything, fed_engine, registry


def test_promtool_check_metrics_accepts_our_output() -> None:
    promtool = require_tool("promtool")
    engine = fed_engine()
    engine.to_bytes()
    snap = engine.snapshot(engine.newest_ms / 1000)
    pipe = Pipeline(now=engine.newest_ms / 1000, totals={0: engine.saved_totals},
                    counts={("cc.call-events", "applied"): 5})
    text = MetricsRenderer().encode(snap, pipe, "text/plain")  # what /metrics serves
    assert b"process_cpu_seconds_total" in text and b"python_info" in text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert b"cc_" not in text.replace(b"cc.call-events", b"")


def test_the_renderer_reuses_the_counter_block_until_a_checkpoint_changes_it() -> None:
    snap, pipe = _sample_with_everything()
    renderer = MetricsRenderer()
    text = renderer.encode(snap, pipe, "text/plain")
    whole = generate_latest(registry(snap, pipe))

    def samples(data: bytes) -> set:
        return {(s.name, tuple(sorted(s.labels.items())), s.value)
                for f in text_string_to_metric_families(data.decode())
                for s in f.samples if not s.name.startswith(("process_", "python_"))}

    assert samples(text) == samples(whole)
    block = renderer._text
    renderer.encode(snap, pipe, "text/plain")
    assert renderer._text is block  # same totals objects: not rendered again
    changed = {p: {seg: [n + 1 for n in row] for seg, row in t.items()}
               for p, t in pipe.totals.items()}  # a new checkpoint adopted
    again = renderer.encode(snap, Pipeline(now=0.0, totals=changed), "text/plain")
    assert renderer._text is not block and samples(again) != samples(text)
    om = renderer.encode(snap, pipe, "application/openmetrics-text; version=1.0.0")
    assert om.endswith(b"# EOF\n") and b"callcenter_calls_offered_total" in om
