"""docker-compose.yml cannot be run here (no Docker engine), so check what can be checked:
every service command is a real `wallboard` invocation, the image copies every package the
project installs, and ports, bootstrap address and snapshot URL agree with each other and with
the defaults in streams/config.py and dashboard/config.py; Prometheus scrapes the worker and
loads the mounted rules (promtool checks the config), alerts go to the Alertmanager service
(amtool checks its config), and Grafana's provisioning points at the Prometheus service and at
the mounted dashboard."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from tests.support import require_tool
from wallboard.cli import build_parser
from wallboard.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DEFAULTS = Settings()
APP_SERVICES = [name for name, svc in SERVICES.items() if "build" in svc]


def test_the_image_copies_every_package_the_project_installs():
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY ")}
    assert {pattern.rstrip("*") for pattern in include} <= copied


def _args(service: str):
    command = SERVICES[service]["command"]
    assert command[0] == "wallboard", f"{service}: command must run wallboard"
    return build_parser().parse_args(command[1:])  # exits (fails the test) on a bad command


def _published(service: str) -> set[int]:
    return {int(p.split(":")[-1]) for p in SERVICES[service].get("ports", [])}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_app_service_runs_a_real_wallboard_subcommand(service):
    args = _args(service)
    assert callable(args.func)


def test_the_app_services_cover_the_product():
    assert {_args(s).command for s in APP_SERVICES} >= {"worker", "dashboard", "simulate", "kafka"}


def test_kafka_is_kraft_on_the_default_port():
    env = SERVICES["kafka"]["environment"]
    default_port = int(DEFAULTS.kafka.bootstrap.rpartition(":")[2])
    assert SERVICES["kafka"]["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert f":{default_port}" in env["KAFKA_LISTENERS"]
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].removeprefix("PLAINTEXT://")
    assert default_port in _published("kafka")
    for service in APP_SERVICES:
        args = _args(service)
        if getattr(args, "bootstrap", None) is not None:
            assert args.bootstrap == advertised, service


def test_worker_and_dashboard_ports_agree_with_defaults_and_each_other():
    worker, dash = _args("worker"), _args("dashboard")
    assert worker.port == DEFAULTS.worker.port and worker.port in _published("worker")
    assert dash.port == DEFAULTS.dashboard.port and dash.port in _published("dashboard")
    url = urlparse(dash.snapshot_url)
    assert url.hostname == "worker" and url.port == worker.port
    assert url.path == urlparse(DEFAULTS.dashboard.snapshot_url).path


def test_compose_uses_the_default_topic_names():
    # No service overrides topics, so every container uses the contract's default names.
    text = (ROOT / "docker-compose.yml").read_text()
    for key in ("call_topic", "agent_topic", "dead_letter_topic", "state_topic",
                "partials_topic", "snapshots_topic"):
        assert key not in text
    assert DEFAULTS.kafka.topics() == {"cc.call-events": 6, "cc.agent-events": 3,
                                       "cc.dead-letter": 1, "cc.state": 1, "cc.partials": 1,
                                       "cc.snapshots": 1}


# -- the SRE kit: Prometheus, Alertmanager, Grafana --------------------------------------------

def _mounts(service: str) -> dict[str, Path]:
    """Container path -> host path of a service's bind mounts."""
    out = {}
    for volume in SERVICES[service].get("volumes", []):
        host, container = volume.split(":")[:2]
        out[container] = (ROOT / host).resolve()
    return out


def _host_path(service: str, container_path: str) -> Path:
    """Where a file the container reads comes from (a file mount, or inside a folder one)."""
    for container, host in _mounts(service).items():
        if container_path == container:
            return host
        if container_path.startswith(container.rstrip("/") + "/"):
            return host / container_path[len(container.rstrip("/")) + 1:]
    raise AssertionError(f"{service}: {container_path} is not mounted")


def _flag(service: str, name: str) -> str:
    for arg in SERVICES[service]["command"]:
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    raise AssertionError(f"{service}: no --{name}")


def _prometheus_config() -> dict:
    return yaml.safe_load(_host_path("prometheus", _flag("prometheus", "config.file"))
                          .read_text())


def test_prometheus_scrapes_the_worker_with_the_job_the_rules_expect():
    config = _prometheus_config()
    worker = _args("worker")
    jobs = {job["job_name"]: [t for sc in job["static_configs"] for t in sc["targets"]]
            for job in config["scrape_configs"]}
    assert jobs["callcenter-worker"] == [f"worker:{worker.port}"]
    rules = (ROOT / "prometheus" / "rules.yml").read_text()
    assert 'up{job="callcenter-worker"}' in rules


def test_prometheus_rule_files_are_the_mounted_rules_and_promtool_accepts_them(tmp_path):
    config = _prometheus_config()
    hosts = [_host_path("prometheus", path) for path in config["rule_files"]]
    assert hosts == [(ROOT / "prometheus" / "rules.yml").resolve()]
    assert all(path.is_file() for path in hosts)
    promtool = require_tool("promtool")
    local = {**config, "rule_files": [str(path) for path in hosts]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(local))
    result = subprocess.run([promtool, "check", "config", str(tmp_path / "prometheus.yml")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_alerts_go_to_the_alertmanager_service():
    config = _prometheus_config()
    targets = [t for am in config["alerting"]["alertmanagers"]
               for sc in am["static_configs"] for t in sc["targets"]]
    assert targets == [f"alertmanager:{port}" for port in _published("alertmanager")]
    am_config = _host_path("alertmanager", _flag("alertmanager", "config.file"))
    amtool = require_tool("amtool")
    result = subprocess.run([amtool, "check-config", str(am_config)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_provisions_the_prometheus_datasource_and_the_dashboard():
    provisioning = _host_path("grafana", "/etc/grafana/provisioning")
    sources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    (source,) = sources["datasources"]
    url = urlparse(source["url"])
    assert source["type"] == "prometheus"
    assert url.hostname == "prometheus" and url.port in _published("prometheus")
    providers = yaml.safe_load((provisioning / "dashboards" / "callcenter.yml").read_text())
    (provider,) = providers["providers"]
    folder = provider["options"]["path"]
    boards = [c for c in _mounts("grafana") if c.startswith(folder.rstrip("/") + "/")]
    assert boards, f"nothing is mounted under the provider's path {folder}"
    for board in boards:
        host = _host_path("grafana", board)
        assert host == (ROOT / "prometheus" / "grafana" / "callcenter.json").resolve()
        assert json.loads(host.read_text())["uid"] == "callcenter"
