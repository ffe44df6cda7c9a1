"""Settings, from the environment and an optional `.env` (DESIGN.md's table, exactly)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain import DEFAULT_HOK_CODES

DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("msx-bot", appauthor=False)) / "msx-bot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        # `MSX_BOT_DB=` (or an empty line in .env) means unset: the default, not "".
        env_ignore_empty=True,
    )

    msx_base_url: str = Field(default="https://microsoftsales.crm.dynamics.com")
    msx_tenant_id: str = Field(default=DEFAULT_TENANT)
    msx_access_token: SecretStr | None = None
    msx_bot_db: Path = Field(default_factory=default_db_path)
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    msx_bot_allowed_users: Annotated[tuple[str, ...], NoDecode] = ()
    # Task category codes that count as HoK ("861980004,606820007"); unset: the default set.
    msx_bot_hok_codes: Annotated[frozenset[int], NoDecode] = DEFAULT_HOK_CODES
    # Where pasted MSX links unfurl (everyone in a channel sees an unfurl): off, dm-only, all.
    msx_bot_unfurl: Literal["off", "dm-only", "all"] = "dm-only"

    @field_validator("msx_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("msx_bot_unfurl", mode="before")
    @classmethod
    def _unfurl_word(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("msx_bot_allowed_users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        # "U123, ana@contoso.com" -> ("U123", "ana@contoso.com")
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("msx_bot_hok_codes", mode="before")
    @classmethod
    def _split_codes(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        codes = [part.strip() for part in value.split(",") if part.strip()]
        if not all(code.isdigit() for code in codes):
            raise ValueError("MSX_BOT_HOK_CODES is a comma-separated list of category codes")
        return frozenset(int(code) for code in codes)

    @property
    def msx_api_url(self) -> str:
        return f"{self.msx_base_url}/api/data/v9.2/"
