"""``wallboard alerts --rules FILE`` merges the file into the config's ``[alerts]`` (issue 19,
finding 5): the file's rules replace the config's; the config's token, listen address and
delivery stay; a key both set differently is refused in one line."""

from __future__ import annotations

import pytest

from alerts.service import AlertService
from infra.clients import free_port
from tests.support import run_async
from wallboard.cli import main

TOKEN = "config-token-0123456789"


def _config(tmp_path, port: int, extra: str = "") -> str:
    path = tmp_path / "wallboard.toml"
    path.write_text(f"""
[alerts]
host = "127.0.0.1"
port = {port}
api_token = "{TOKEN}"
allowed_hosts = ["wallboard.example.com"]
{extra}
[alerts.delivery]
apprise = ["json://127.0.0.1:1/page"]

[alerts.rules.old_rule]
figure = "now.waiting"
above = 5
""", encoding="utf-8")
    return str(path)


def _rules(tmp_path, extra: str = "") -> str:
    path = tmp_path / "rules.toml"
    path.write_text(f"""
[alerts]
eval_interval = "5s"
{extra}
[alerts.delivery]          # at its defaults, as in alerts/rules.example.toml
alertmanager_url = ""
apprise = []

[alerts.rules.long_wait]
figure = "now.oldest_wait_s"
above = 60
""", encoding="utf-8")
    return str(path)


@pytest.fixture
def started(monkeypatch) -> list[AlertService]:
    """The services ``wallboard alerts`` would serve (not served: no loop, no port). Its
    ``asyncio.run`` runs off the main thread, where another test's library (Playwright's
    sync API) may keep a loop running."""
    from types import SimpleNamespace

    from alerts import commands

    services: list[AlertService] = []

    async def serve(service: AlertService) -> None:
        services.append(service)

    monkeypatch.setattr(commands, "_serve", serve)
    monkeypatch.setattr(commands, "asyncio", SimpleNamespace(run=run_async))
    return services


def test_rules_file_keeps_the_configs_token_listen_address_and_delivery(tmp_path, started,
                                                                         capsys):
    port = free_port()
    assert main(["--config", _config(tmp_path, port), "alerts", "--rules", _rules(tmp_path),
                 "--state", "memory"]) == 0
    (svc,) = started
    alerts = svc.settings
    assert alerts.api_token == TOKEN  # mutating calls are not refused with 403
    assert [r.name for r in alerts.rules] == ["long_wait"]  # the file's rules replace
    assert (alerts.host, alerts.port) == ("127.0.0.1", port)
    assert alerts.allowed_hosts == ("wallboard.example.com",)
    assert alerts.delivery.apprise == ("json://127.0.0.1:1/page",)
    assert alerts.eval_interval_s == 5.0  # what the file sets (the config leaves it default)
    assert TOKEN not in capsys.readouterr().out


def test_a_key_set_differently_in_both_is_refused_in_one_line(tmp_path, started, capsys):
    port = free_port()
    config = _config(tmp_path, port, extra='eval_interval = "30s"')
    assert main(["--config", config, "alerts", "--rules", _rules(tmp_path),
                 "--state", "memory"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and started == []
    assert "rules.toml: alerts.eval_interval is set here and, differently, in the [alerts] " \
           "of the settings file" in err
    rules = _rules(tmp_path, extra='api_token = "other-token-0123456789"')
    assert main(["--config", _config(tmp_path, port), "alerts", "--rules", rules]) == 2
    err = capsys.readouterr().err
    assert "alerts.api_token is set here" in err and "other-token" not in err


def test_without_alerts_in_the_config_the_rules_file_is_all(tmp_path, started):
    config = tmp_path / "plain.toml"
    config.write_text('[engine]\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    port = free_port()
    rules = _rules(tmp_path, extra=f'port = {port}\napi_token = "{TOKEN}"')
    assert main(["--config", str(config), "alerts", "--rules", rules, "--state", "memory"]) == 0
    (svc,) = started
    assert svc.settings.api_token == TOKEN and svc.settings.port == port
    assert svc.settings.timezone == "Europe/Berlin"  # the engine's, as before
