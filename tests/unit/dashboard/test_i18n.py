"""Every English text has a Simplified Chinese one with the same placeholders."""

from __future__ import annotations

import pytest

from dashboard.i18n import EN, TEXTS, ZH, normalize_language, placeholders, tr


def test_every_english_key_has_a_chinese_text():
    assert set(EN) == set(ZH)
    for key, text in EN.items():
        assert ZH[key].strip(), key
        assert placeholders(ZH[key]) == placeholders(text), key


def test_chinese_texts_are_chinese():
    """Labels and statuses are translated, not copied (units and codes may stay)."""
    for key in ("waiting", "oldest", "sl", "abandon", "asa", "agents", "ok", "warn", "bad",
                "stale", "alerts_not_configured"):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ZH[key]), key


@pytest.mark.parametrize(
    ("key", "zh"),
    [("waiting", "排队数"), ("oldest", "最长等待"), ("sl", "服务水平"), ("abandon", "放弃率"),
     ("asa", "平均应答速度"), ("agents", "坐席状态")],
)
def test_the_issue_s_terms(key, zh):
    assert tr("zh-CN", key) == zh


def test_tr_formats_and_falls_back_to_english():
    assert tr("en", "page", n=2, of=3) == "page 2/3"
    assert tr("zh-CN", "page", n=2, of=3) == "第 2/3 页"
    assert tr("fr", "waiting") == "Waiting"
    with pytest.raises(KeyError):
        tr("en", "no-such-key")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("zh-CN", "zh-CN"), ("zh-cn", "zh-CN"), ("zh", "zh-CN"), ("zh-Hans", "zh-CN"),
     ("en", "en"), ("EN-us", "en"), ("de", None), ("", None), (None, None)],
)
def test_normalize_language(given, expected):
    assert normalize_language(given) == expected
    if expected:
        assert expected in TEXTS
