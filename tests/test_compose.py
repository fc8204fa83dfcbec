"""docker-compose.yml cannot be run here (no Docker engine), so check what can be checked:
every service command is a real `wallboard` invocation, and ports, bootstrap address and
snapshot URL agree with each other and with the defaults in streams/config.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from streams.cli import build_parser
from streams.config import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DEFAULTS = Settings()
APP_SERVICES = [name for name, svc in SERVICES.items() if "build" in svc]


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
