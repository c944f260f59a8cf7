"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    topic_partitions: int = 6
    replication_factor: int = 1


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

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"{self.topic_namespace}.{self.service_name}"
