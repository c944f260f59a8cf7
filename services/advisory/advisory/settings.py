"""Advisory settings, from ADVISORY_* environment variables."""

from pydantic_settings import SettingsConfigDict

from owes_service.settings import ServiceSettings


class AdvisorySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ADVISORY_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "advisory"
    partner: str = "zory"
    database_url: str = "sqlite+aiosqlite:///./advisory.db"
