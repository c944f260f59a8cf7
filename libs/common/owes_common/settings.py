"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)


class KafkaSettings(BaseSettings):
    """How a service reaches the broker, and as whom."""

    model_config = SettingsConfigDict(extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    # Real Apache Kafka: on. The embedded Tansu broker has no InitProducerId, so `owes up` turns it off.
    enable_idempotence: bool = True
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # The password from a file instead (e.g. a Docker secret): <PREFIX>_KAFKA__SASL_PASSWORD_FILE=/run/secrets/...
    sasl_password_file: Path | None = None
    # SASL_SSL: the CA bundle that signed the brokers' certificates; unset: the system's trusted CAs.
    ssl_cafile: Path | None = None
    topic_partitions: int = 6
    replication_factor: int = 1
    # Longest a consumer's fetch waits for records. Apache Kafka answers as soon as records arrive, so this only
    # paces idle polls there; the embedded Tansu broker holds a fetch for part of this wait even when records
    # are ready, so it bounds delivery latency (500, Kafka's default: ~135 ms median; 100: ~30 ms). See
    # docs/performance.md.
    fetch_max_wait_ms: int = 100
    # Records a consumer takes per batch: applied one by one (each in its own transaction, inbox included), with
    # one offset commit per batch instead of one per record.
    consume_batch_max: int = 500

    @model_validator(mode="after")
    def _read_password_file(self):
        if self.sasl_password is None and self.sasl_password_file is not None:
            self.sasl_password = SecretStr(self.sasl_password_file.read_text(encoding="utf-8").strip())
        return self


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

    @field_validator("api_keys", "api_readers", mode="before")
    @classmethod
    def _split_entries(cls, value):
        from .auth import split_entries

        return split_entries(value) if isinstance(value, str) else value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource):
        """Secrets from the environment, or from files named like the variables in OWES_SECRETS_DIR
        (default /run/secrets)."""
        sources = [init_settings, env_settings, dotenv_settings]
        secrets_dir = Path(os.environ.get("OWES_SECRETS_DIR", "/run/secrets"))
        if secrets_dir.is_dir():
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=secrets_dir))
        return tuple(sources)

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_namespace}.{self.service_name}"
