"""infra.jars: where the Maven cache and the broker's state live."""

from __future__ import annotations

from pathlib import Path

from infra.jars import default_home

REPO = Path(__file__).resolve().parents[3]


def test_the_home_is_wallboard_home_when_set(monkeypatch, tmp_path):
    monkeypatch.setenv("WALLBOARD_HOME", str(tmp_path / "home"))
    assert default_home() == tmp_path / "home"


def test_the_home_of_a_source_checkout_is_its_cache_dir(monkeypatch):
    monkeypatch.delenv("WALLBOARD_HOME", raising=False)
    assert (REPO / "pyproject.toml").is_file()
    assert default_home() == REPO / ".cache"
