"""How a service reaches the Kafka broker; part of each service's settings (owes_service.settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import SecretStr, model_validator
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
    # Records a consumer takes per batch: applied in one transaction with their inbox claims (one at a time only to
    # isolate a record that fails), with one offset commit per batch. 2000 rather than 500: a catch-up's CPU per
    # event fell by a fifth (fewer commits, statements and fetch round trips per event; docs/performance.md).
    consume_batch_max: int = 2000

    @model_validator(mode="after")
    def _read_password_file(self) -> Self:
        if self.sasl_password is None and self.sasl_password_file is not None:
            self.sasl_password = SecretStr(self.sasl_password_file.read_text(encoding="utf-8").strip())
        return self
