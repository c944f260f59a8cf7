"""Reporting settings, from REPORTING_* environment variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from owes_service.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "reporting"
    partner: str = "lead"
    database_url: str = "sqlite+aiosqlite:///./reporting.db"
    # Targets: a YAML, JSON or TOML file (default: the project targets shipped with the package), and/or
    # individual overrides, e.g. REPORTING_TARGETS='{"people_supported": 450}'.
    targets_file: Path | None = None
    targets: dict[str, float | int | str] = Field(default_factory=dict)
    # The dashboard recomputes at most this often while events stream in, and refreshes freshness this often.
    dashboard_min_interval: float = 1.0
    dashboard_heartbeat: float = 5.0
    # An open dashboard stream ends after this long and the browser reconnects at once, so a shutdown never
    # waits on it for longer.
    dashboard_stream_seconds: float = 10.0
    # Rebuild: records per fetch and rows kept in memory before a bulk write.
    rebuild_fetch_records: int = 20_000
    rebuild_flush_rows: int = 50_000
