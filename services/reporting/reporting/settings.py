"""Reporting settings, from REPORTING_* environment variables."""

from pydantic_settings import SettingsConfigDict

from owes_common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "reporting"
    partner: str = "lead"
    database_url: str = "sqlite+aiosqlite:///./reporting.db"
