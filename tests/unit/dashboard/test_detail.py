"""The detail page's table: every figure of every segment as a number."""

from __future__ import annotations

from dashboard.detail import detail_columns, detail_rows
from dashboard.render import render
from tests.unit.dashboard.samples import FULL_SEGMENT, NOW, PARTIAL_SEGMENT, snapshot


def test_detail_rows_have_every_figure_as_numbers():
    view = render(snapshot(all=FULL_SEGMENT, sales=PARTIAL_SEGMENT), NOW - 2, NOW,
                  paginate=False)
    rows = {r["segment"]: r for r in detail_rows(view)}
    row = rows["All queues"]
    assert row["waiting"] == 3 and row["oldest"] == 42.0 and row["staffed"] == 12
    assert row["sl"] == 83.3 and row["sl_today"] == 81.0 and row["abandon"] == 7.8
    assert row["asa"] == 11.2 and row["aht"] == 290.5 and row["required"] == 11
    assert row["age"] == 2 and row["status"] == "▲ WARN"
    assert rows["sales"]["sl"] is None  # missing stays missing
    ids = [c["id"] for c in detail_columns("en")]
    assert set(ids) - {"segment", "status"} <= set(row)
    assert detail_columns("zh-CN")[0]["name"] == "分组"
