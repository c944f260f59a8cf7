"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

from owes_messaging.settings import KafkaSettings

from .auth import split_entries

# The partners that operate the producing services by default (README.md), as each service's own settings say.
DEFAULT_PRODUCER_PARTNERS = {"recruitment": "jastrzebie-zdroj", "advisory": "zory", "grants": "rybnik"}


class TracingSettings(BaseSettings):
    """Where this service's OpenTelemetry spans go (docs/operations.md)."""

    model_config = SettingsConfigDict(extra="ignore")

    # none: spans are made and propagated (trace ids flow through events) but not exported.
    exporter: Literal["none", "console", "otlp"] = "none"
    # OTLP over HTTP, e.g. http://otel-collector:4318/v1/traces; unset: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT applies.
    otlp_endpoint: str | None = None
    sample_ratio: float = Field(default=1.0, ge=0.0, le=1.0)


class ServiceSettings(BaseSettings):
    """Base settings: database, broker, topics, HTTP; read from env vars with the service's prefix."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore", env_file=None)

    service_name: str = "service"
    # The partner that operates this service (README.md); each service's settings name its own.
    partner: str | None = None
    database_url: str = "sqlite+aiosqlite:///./service.db"
    database_echo: bool = False
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    # Prefix of every topic name; tests use a fresh namespace so runs never see each other's events.
    topic_namespace: str = "owes"
    # Consumer group of this service; defaults to "<namespace>.<service>".
    consumer_group: str | None = None
    outbox_relay_enabled: bool = True
    outbox_batch_size: int = 500
    outbox_poll_interval: float = 0.5
    # Woken by a commit, the relay waits this long before reading, so writes committed meanwhile go out in one
    # batch (one read, one send, one mark for all of them). Seconds; 0 reads at once.
    outbox_linger: float = Field(default=0.005, ge=0, le=1)
    # Published outbox rows are deleted this many days after publishing (checked every outbox_prune_interval
    # seconds); 0 keeps them forever, as `owes up` does on the embedded Tansu, whose log they are. They must
    # outlive any broker outage: a relay that finds acknowledged records lost publishes the kept rows again.
    outbox_retention_days: float = Field(default=7.0, ge=0)
    outbox_prune_interval: float = 3600.0
    consumers_enabled: bool = True
    run_migrations_on_start: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = 64 * 1024
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    # HTTP API credentials (docs/security.md): '<principal> <role> sha256:<hex>' entries, comma- or
    # newline-separated, made by `owes keys new`; or a file of them (a Docker secret). Without any, every call
    # but /healthz, /readyz and /metrics is refused.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    api_keys_file: Path | None = None
    # Roles that may read this service's data API besides its operator (e.g. "lead"); default per service.
    api_readers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The role that operates this service; default partner:<service> (reporting: lead).
    api_operator_role: str | None = None
    # Off only for throw-away local experiments: every caller then acts as the operator.
    auth_enabled: bool = True
    # The second switch auth_enabled=false needs, or the service refuses to start (docs/security.md).
    development_without_authentication: bool = False
    # The project definition (owes_service.project: programme, period, subregion, rates, time zone), a TOML or
    # JSON file every partner installs alike; default: the one shipped with owes_service. Its time zone is the
    # project's calendar: every "today", month and reporting period is a date there, whatever the host's zone.
    project_file: Path | None = None
    # Which partner operates each producing service whose events this service reads: an event is applied only
    # when its source is /owes/<partner>/<producer> and its partner extension is <partner> (docs/security.md).
    # E.g. REPORTING_PRODUCER_PARTNERS='{"grants": "raciborz"}' when another partner runs grants.
    producer_partners: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PRODUCER_PARTNERS))

    @field_validator("producer_partners", mode="after")
    @classmethod
    def _keep_default_partners(cls, value: dict[str, str]) -> dict[str, str]:
        return DEFAULT_PRODUCER_PARTNERS | value  # naming one partner leaves the others at their defaults

    # Transition windows of new event versions (docs/integrators.md, "How a partner ships a breaking change"):
    # CloudEvents type -> the last day the previous version is published too, e.g.
    # RECRUITMENT_EVENT_TRANSITIONS='{"pl.owes.recruitment.ParticipantRecruited": "2027-03-31"}'.
    event_transitions: dict[str, dt.date] = Field(default_factory=dict)
    # How long an Idempotency-Key and its first answer are kept (owes_service.idempotency; at least 24 h).
    idempotency_retention_hours: float = Field(default=48.0, ge=24.0)

    @field_validator("api_keys", "api_readers", mode="before")
    @classmethod
    def _split_entries(cls, value: Any) -> Any:
        return split_entries(value) if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Secrets from the environment, or from files named like the variables in OWES_SECRETS_DIR
        (default /run/secrets)."""
        sources = [init_settings, env_settings, dotenv_settings]
        secrets_dir = Path(os.environ.get("OWES_SECRETS_DIR", "/run/secrets"))
        if secrets_dir.is_dir():
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        return tuple(sources)

    @field_validator("outbox_retention_days")
    @classmethod
    def _retention_outlives_outages(cls, value: float) -> float:
        if 0 < value < 1:
            raise ValueError(
                "outbox_retention_days: 0 (keep forever) or at least 1 day, so that rows a broker "
                "lost can still be published again after an outage"
            )
        return value

    @property
    def outbox_retention(self) -> dt.timedelta | None:
        return dt.timedelta(days=self.outbox_retention_days) if self.outbox_retention_days else None

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_namespace}.{self.service_name}"
