"""Silence matchers have RE2 semantics (issue 19, finding 1): linear-time matching, fully
anchored, what RE2 refuses (backreferences, lookaround) and over-long patterns are errors
naming the matcher."""

from __future__ import annotations

import pytest

from alerts.config import parse_alerts, parse_matcher
from alerts.core import AlertEngine
from streams.core.errors import ConfigError

PATHOLOGICAL = 'alertname=~"(.?){30}(.?){30}z"'
MAX_PATTERN = 1024  # documented in docs/alerting.md


def test_the_documented_pattern_limit():
    import alerts.config

    assert alerts.config.MAX_PATTERN == MAX_PATTERN


def test_the_pathological_pattern_is_matched_by_re2_not_by_backtracking():
    matcher = parse_matcher("matchers[0]", PATHOLOGICAL)
    assert type(matcher.regex).__module__.startswith("re2")
    # Python's re needs ~1e10 steps for this on a 9-character value; RE2 is linear
    assert not matcher.matches({"alertname": "long_wait"})
    assert parse_matcher("m", 'alertname=~"(.?){30}(.?){30}t"').matches(
        {"alertname": "long_wait"})


@pytest.mark.parametrize(("text", "message"), [
    (r'segment=~"(a)\1"', "matchers[3]: bad regular expression '(a)\\\\1': invalid escape"),
    ('segment=~"(?=bill)b.*"', "matchers[3]: bad regular expression '(?=bill)b.*': invalid "
                               "perl operator: (?="),
    ('segment=~"(?<!x)y"', "matchers[3]: bad regular expression"),
    ('segment=~"a{2000}"', "invalid repetition size"),
    ('segment=~"' + "a" * (MAX_PATTERN + 1) + '"',
     f"matchers[3]: regular expression longer than {MAX_PATTERN} characters"),
    ("x" * 5000, "matchers[3]: matcher longer than"),
    ("segment", "matchers[3]: expected NAME=VALUE"),
    (42, "matchers[3]: expected a matcher string"),
])
def test_what_re2_refuses_is_an_error_naming_the_matcher(text, message):
    with pytest.raises(ConfigError) as err:
        parse_matcher("matchers[3]", text)
    assert str(err.value).startswith("matchers[3]: ")
    assert message in str(err.value)
    assert "RE2" in str(err.value) or "bad regular" not in str(err.value)


def test_patterns_are_fully_anchored_and_up_to_the_limit_accepted():
    m = parse_matcher("m", 'segment=~"bill"')
    assert not m.matches({"segment": "billing"}) and not m.matches({"segment": "rebill"})
    assert parse_matcher("m", 'segment=~"bill.*"').matches({"segment": "billing"})
    assert parse_matcher("m", 'segment!~"bill.*"').matches({"segment": "sales"})
    assert not parse_matcher("m", 'segment=~".*"').matches({"segment": "a\nb"})  # as Go's
    long = parse_matcher("m", 'segment=~"' + "b" * MAX_PATTERN + '"')
    assert long.matches({"segment": "b" * MAX_PATTERN})
    # equality ignores the compiled form; the text round-trips (what cc.alerts stores)
    assert parse_matcher("m", m.text()) == m and m.text() == 'segment=~"bill"'


def test_configured_silences_use_re2_too():
    with pytest.raises(ConfigError) as err:
        parse_alerts({"silences": [{"matchers": [r'segment=~"(b)\1"'],
                                    "starts": "2027-01-01T00:00:00Z",
                                    "ends": "2027-01-02T00:00:00Z", "author": "a"}]})
    assert str(err.value).startswith("alerts.silences[0].matchers[0]: bad regular expression")


def test_a_saved_silence_re2_refuses_is_dropped_at_restore_not_fatal():
    engine = AlertEngine(parse_alerts({}))
    good = {"id": "g", "matchers": ['segment="billing"'], "starts": 0, "ends": 9e9,
            "author": "ops"}
    bad = {**good, "id": "b", "matchers": [r'segment=~"(b)\1"']}  # saved by an older version
    dropped = engine.restore({"s:g": good, "s:b": bad})
    assert list(engine.silences) == ["g"]
    assert len(dropped) == 1 and dropped[0].startswith("silence b: ")
    assert engine.drain_dirty() == {"s:b": None}  # the tombstone removes it from cc.alerts
