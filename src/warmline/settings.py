"""Settings: one pydantic-settings class, built by ``get_settings()``, never at import time.

Every field reads from the environment with the ``WARMLINE_`` prefix (``WARMLINE_DATABASE_URL``
...). Unsafe defaults are refused outside development.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from warmline.errors import ConfigurationError

DEV_SECRET = "development-only-secret"
DEV_AGENT_PASSWORD = "agent"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development",
        description="development, test or production; production refuses unsafe defaults",
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///var/warmline.db",
        description="SQLAlchemy async URL; sqlite+aiosqlite (embedded) or postgresql+asyncpg",
    )
    packs: list[str] = Field(
        default_factory=lambda: ["airline", "retail"],
        description="domain packs to serve: names of shipped packs or paths to YAML files",
    )
    default_pack: str = Field("airline", description="pack used when a conversation names none")
    backoffice_url: str = Field(
        "http://127.0.0.1:8765", description="base URL of the back office the actions call"
    )
    backoffice_timeout_s: float = Field(5.0, gt=0, description="timeout of one back-office call")
    backoffice_circuit_threshold: int = Field(
        5, ge=1, description="back-office calls failing in a row that open its circuit"
    )
    backoffice_circuit_open_s: float = Field(
        30.0, gt=0, description="seconds an open back-office circuit fails calls at once"
    )
    account_ttl_s: float = Field(
        10.0,
        ge=0,
        description="longest a customer's account read from the back office is reused; "
        "any write action drops it",
    )
    model_dir: Path = Field(
        Path("var/models"), description="where trained intent models are cached per pack"
    )
    encoder_threads: int = Field(1, ge=1, description="onnxruntime threads of the sentence encoder")
    encoder_dir: Path | None = Field(
        None,
        description="folder with an ONNX sentence encoder and its tokenizer.json; "
        "unset means the shipped all-MiniLM-L6-v2 (see docs/encoder.md)",
    )
    encoder_precision: Literal["auto", "int8", "float32"] = Field(
        "auto",
        description="the sentence encoder's arithmetic: int8 (the file as stored), float32 "
        "(faster on CPUs without VNNI) or auto (both timed at start, the faster kept)",
    )
    encoder_file: str = Field(
        "model.int8.onnx", description="the ONNX file inside the encoder folder"
    )
    affect_dir: Path | None = Field(
        None,
        description="folder with an affect model (affect.json and its weights) trained for the "
        "encoder; unset means the shipped one (see docs/affect.md)",
    )
    identity_secret: str | None = Field(
        None,
        description="shared secret (HS256) of the identity tokens the host site signs for its "
        "signed-in customers (docs/security.md); unset: no conversation is bound to a customer "
        "by token, only by the pack's in-conversation verification",
    )
    identity_issuer: str | None = Field(
        None, description="when set, identity tokens must carry this `iss`"
    )
    customer_picker: bool = Field(
        False,
        description="development switch: the start page lets anyone pick a customer id without "
        "a credential (the demo's one-click picker); never in production",
    )
    conversation_token_ttl_s: int = Field(
        7 * 24 * 3600,
        ge=60,
        description="how long a conversation token (the customer's key to one conversation) is "
        "accepted",
    )
    verification_attempts: int = Field(
        3, ge=1, description="wrong answers to the pack's verification questions before a person"
    )
    max_message_chars: int = Field(2000, ge=1, description="longest customer message accepted")
    max_body_bytes: int = Field(65536, ge=1024, description="largest HTTP request body accepted")
    secret_key: str = Field(DEV_SECRET, description="signs sessions; must be set in production")
    agents: dict[str, str] = Field(
        default_factory=dict,
        description="agent name -> password hash (`warmline agents hash-password`); when set, "
        "each agent signs in with their own password",
    )
    agent_password: str = Field(
        DEV_AGENT_PASSWORD,
        description="the one password every agent signs in with when `agents` is empty; "
        "must be changed in production",
    )
    agent_capacity: int = Field(
        3, ge=1, description="conversations an agent holds at once unless they say otherwise"
    )
    handle_time_s: float = Field(
        300.0, gt=0, description="handle time assumed for wait estimates until five have ended"
    )
    host: str = Field("127.0.0.1", description="address `warmline serve` binds")
    port: int = Field(8000, description="port `warmline serve` binds")
    log_level: str = Field("info", description="log level of the server")

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("WARMLINE_SECRET_KEY must be set in production")
        if (
            self.environment == "production"
            and not self.agents
            and self.agent_password == DEV_AGENT_PASSWORD
        ):
            raise ValueError(
                "WARMLINE_AGENTS (or WARMLINE_AGENT_PASSWORD) must be set in production"
            )
        if self.environment == "production" and self.customer_picker:
            raise ValueError("WARMLINE_CUSTOMER_PICKER is a development switch, not for production")
        if self.default_pack not in [Path(p).stem for p in self.packs]:
            raise ValueError(f"default_pack '{self.default_pack}' is not among packs {self.packs}")
        return self


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests, CLI flags)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None
