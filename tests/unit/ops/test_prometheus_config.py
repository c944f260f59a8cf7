"""deploy/prometheus: Prometheus scrapes every service's /metrics, and the alerts ask only for series the
services really export."""

from __future__ import annotations

import re

import yaml
from prometheus_client.parser import text_string_to_metric_families

from owes_messaging.consumer import Outcome
from owes_service.metrics import ServiceMetrics
from unit.ops.ops_checks import DEPLOY, SERVICES, load_compose

PROMETHEUS = DEPLOY / "prometheus"


def exported_series() -> set[str]:
    """Every sample name a service's registry exposes once each metric has a value."""
    metrics = ServiceMetrics("recruitment")
    metrics.observe_request(route="/x", method="GET", status=200, seconds=0.01)
    metrics.observe_outcomes([(None, Outcome.DEAD_LETTERED)])
    metrics.observe_published([type("Row", (), {"topic": "t", "event_type": "e"})()])
    metrics.outbox_backlog.labels("recruitment").set(0)
    metrics.consumer_lag.labels("recruitment", "t", "0").set(0)
    families = text_string_to_metric_families(metrics.render().decode())
    return {sample.name for family in families for sample in family.samples}


def test_scrapes_every_service_on_its_container_port():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"] == [f"{service}:8000" for service in SERVICES]


def test_alerts_use_only_series_the_services_export():
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"][0]["rules"]
    used = {name for rule in rules for name in re.findall(r"\bowes_[a-z_]+", rule["expr"])}
    assert used and used <= exported_series()


def test_every_rule_file_is_mounted_where_the_config_reads_it():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    volumes = load_compose()["services"]["prometheus"]["volumes"]
    for rule_file in config["rule_files"]:
        assert f"./deploy/prometheus/{rule_file.rsplit('/', 1)[1]}:{rule_file}:ro" in volumes
