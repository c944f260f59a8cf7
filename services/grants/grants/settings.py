"""Grants settings, from GRANTS_* environment variables."""

from pydantic_settings import SettingsConfigDict

from owes_service.settings import ServiceSettings


class GrantsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GRANTS_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "grants"
    partner: str = "rybnik"
    database_url: str = "sqlite+aiosqlite:///./grants.db"
