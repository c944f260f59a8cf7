"""Recruitment settings, from RECRUITMENT_* environment variables."""

from pydantic_settings import SettingsConfigDict

from owes_service.settings import ServiceSettings


class RecruitmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RECRUITMENT_", env_nested_delimiter="__", extra="ignore")

    service_name: str = "recruitment"
    partner: str = "jastrzebie-zdroj"
    database_url: str = "sqlite+aiosqlite:///./recruitment.db"
