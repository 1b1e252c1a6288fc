"""Settings: one pydantic-settings class, built by ``get_settings()``, never at import time.

Every field reads from the environment with the ``WARMLINE_`` prefix (``WARMLINE_DATABASE_URL``
...). The defaults are the safe ones (``environment`` is ``production``); the development
conveniences (the shared agent password, the customer picker) need ``WARMLINE_ENVIRONMENT=
development``, which ``make demo`` sets. With no ``WARMLINE_SECRET_KEY``, ``get_settings`` reads
the key kept with the data, generating a random one on first start (``kept_secret_key``).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any, Literal

import limits
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from warmline.errors import ConfigurationError

DEV_AGENT_PASSWORD = "agent"
MIN_SECRET_CHARS = 32
Role = Literal["agent", "supervisor", "admin"]


class AgentAccount(BaseModel):
    """One agent's account in ``WARMLINE_AGENTS``: a password hash, a role and the skills
    (queues) the agent covers by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hash: str = Field(min_length=1, description="from `warmline agents hash-password`")
    role: Role = "agent"
    skills: tuple[str, ...] = ()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "production",
        description="production (the default) refuses unsafe settings; development (set by "
        "`make demo`) allows the shared agent password and the customer picker; test is for "
        "the test suite",
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
    backoffice_slow_call_s: float = Field(
        2.0,
        gt=0,
        description="a back-office call slower than this counts as a failure for its "
        "operation's circuit breaker (its answer is still used)",
    )
    llm_url: str | None = Field(
        None,
        description="base URL of an OpenAI-compatible endpoint (POST {url}/chat/completions) "
        "that phrases knowledge answers from the retrieved passages, every sentence checked "
        "against them; unset: no language model, answers are the documents' own sentences",
    )
    llm_model: str = Field("", description="the model the endpoint is asked for")
    llm_api_key: SecretStr | None = Field(
        None, description="the endpoint's key, sent as a bearer token; never logged or shown"
    )
    llm_timeout_s: float = Field(
        4.0,
        gt=0,
        le=60,
        description="how long a phrasing may take; after it the documents' own sentences are "
        "the answer",
    )
    account_ttl_s: float = Field(
        10.0,
        ge=0,
        description="longest a customer's account read from the back office is reused; "
        "any write action drops it",
    )
    stock_max_age_s: float = Field(
        30.0,
        ge=0,
        description="oldest stock figure of a variant offered as a choice; an older one (no "
        "change event heard since) is read again from the back office first",
    )
    hold_ttl_s: float = Field(
        600.0,
        gt=0,
        le=3600,
        description="how long the back office keeps a unit held for a proposal nobody answers",
    )
    stock_webhook_secret: str = Field(
        "",
        repr=False,
        description="HMAC key of the back office's stock webhooks (X-Stock-Signature); unset: "
        "generated on first start and kept in `stock_webhook_secret` beside the secret key",
    )
    stock_nats_stream: str = Field(
        "BACKOFFICE_STOCK",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the back office's JetStream stream of stock changes (with `nats_url`)",
    )
    stock_nats_subject: str = Field(
        "backoffice.stock", description="subject prefix of the stock changes (`.<item_id>`)"
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
    affect_screen: bool = Field(
        True,
        description="read each turn with the affect model's screen first and run the affect "
        "tail only where it says a distress target could be high (see docs/affect.md)",
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
    secret_key: str = Field(
        "",
        repr=False,
        description="signs sessions (at least 32 characters); unset: a random key generated on "
        "first start and kept in `secret_key_file`",
    )
    secret_key_file: Path | None = Field(
        None,
        description="where the generated secret key is kept (mode 0600); unset: `secret_key` "
        "beside the SQLite database, or var/secret_key (PostgreSQL); an in-memory database "
        "gets a key that lives as long as the process",
    )
    agents: dict[str, AgentAccount] = Field(
        default_factory=dict,
        description="agent name -> password hash (`warmline agents hash-password`) or "
        '{"hash", "role", "skills"}; roles: agent, supervisor, admin',
    )
    agent_password: str | None = Field(
        None,
        repr=False,
        description="development and test only: the one password every agent signs in with "
        "while `agents` is empty (unset: 'agent'); refused in production",
    )
    session_max_age_s: int = Field(
        12 * 3600, ge=60, description="how long an agent's session lasts (one shift)"
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379) shared by every worker for rate limits, "
        "sign-in throttling, revoked sessions, agent presence and read marks; unset: kept in "
        "each process's memory",
    )
    redis_prefix: str = Field(
        "warmline:",
        pattern=r"^[A-Za-z0-9_.:-]*$",
        description="prefix of the presence and read-mark keys in Redis (one per deployment)",
    )
    presence_ttl_s: int = Field(
        12 * 3600,
        ge=60,
        description="with Redis: an agent leaves the shift this long after their last change "
        "(sign-in, claim, release) unless the console puts them back",
    )
    shared_refresh_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="with Redis: how often a worker reads presence and read marks back",
    )
    nats_url: str | None = Field(
        None,
        description="NATS server with JetStream (nats://host:4222) through which every worker "
        "shares live events (docs/scaling.md); unset: live events stay in the process",
    )
    nats_stream: str = Field(
        "WARMLINE", pattern=r"^[A-Za-z0-9_-]+$", description="the JetStream stream of live events"
    )
    nats_max_age_s: float = Field(
        3600.0, gt=0, description="longest the stream keeps a live event (the database keeps all)"
    )
    nats_max_bytes: int = Field(
        256 * 1024 * 1024, ge=1024 * 1024, description="most bytes the stream keeps, oldest dropped"
    )
    workers: int = Field(
        1,
        ge=1,
        description="processes `warmline serve` runs; more than one needs PostgreSQL and NATS "
        "(docs/scaling.md)",
    )
    lock_timeout_s: float = Field(
        30.0,
        gt=0,
        description="longest a turn waits for its conversation's lock held by another worker "
        "(PostgreSQL)",
    )
    signin_limit_per_name: str = Field(
        "5/minute", description="failed sign-ins allowed per agent name (moving window)"
    )
    signin_limit_per_address: str = Field(
        "20/minute", description="failed sign-ins allowed per client address (moving window)"
    )
    start_limit: str = Field(
        "10/minute", description="conversations one client address may start (moving window)"
    )
    message_limit: str = Field(
        "30/minute", description="customer messages one client address may post (moving window)"
    )
    embed_origins: list[str] = Field(
        default_factory=list,
        description="origins (https://shop.example) that may frame the chat page and call the "
        "customer API from their pages; none by default",
    )
    behind_tls_proxy: bool = Field(
        False,
        description="a TLS-terminating proxy is in front: send HSTS and mark cookies Secure "
        "even though the server itself speaks plain HTTP",
    )
    agent_capacity: int = Field(
        3, ge=1, description="conversations an agent holds at once unless they say otherwise"
    )
    handle_time_s: float = Field(
        300.0, gt=0, description="handle time assumed for wait estimates until five have ended"
    )
    analytics_fcr_window_h: float = Field(
        72.0,
        gt=0,
        le=720,
        description="first-contact resolution: a conversation counts as resolved at first "
        "contact unless the same customer comes back on the same need within this many hours",
    )
    analytics_abandon_after_min: float = Field(
        30.0,
        gt=0,
        description="a conversation nobody resolved counts as abandoned once nothing has "
        "happened in it for this many minutes",
    )
    analytics_cost_bot_conversation: float = Field(
        0.10, ge=0, description="unit cost of one conversation the bot handles (cost per contact)"
    )
    analytics_cost_human_minute: float = Field(
        1.00, ge=0, description="unit cost of one minute a person owns a conversation"
    )
    parity_alpha: float = Field(
        0.05, gt=0, le=0.5, description="parity: a gap is flagged below this adjusted p-value"
    )
    parity_min_n: int = Field(
        100, ge=2, description="parity: a group with fewer conversations is shown, not tested"
    )
    parity_min_rate_gap: float = Field(
        0.02, ge=0, le=1, description="parity: the smallest gap in a share that is flagged"
    )
    parity_min_mean_gap: float = Field(
        0.10, ge=0, description="parity: the smallest gap in a mean flagged, of the reference's"
    )
    parity_correction: Literal["bh", "holm"] = Field(
        "bh", description="parity: Benjamini-Hochberg (bh) or Holm over a run's comparisons"
    )
    parity_references: dict[str, str] = Field(
        default_factory=dict,
        description='parity: the reference group of a dimension, e.g. {"channel": "web"}',
    )
    incident_deadline_days: int = Field(
        14,
        ge=1,
        description="a bias incident opened by the parity monitor is due in this many days",
    )
    review_confidence_below: float = Field(
        0.7,
        ge=0,
        le=1,
        description="review queue: a turn read with a top confidence under this is queued "
        "for a label (low_confidence)",
    )
    review_margin_below: float = Field(
        0.15,
        ge=0,
        le=1,
        description="review queue: a turn whose first two intents are closer than this is "
        "queued for a label (disagreement)",
    )
    promotion_alpha: float = Field(
        0.05,
        gt=0,
        le=0.5,
        description="warmline train: a segment group blocks a promotion when it is worse with "
        "an adjusted p-value under this",
    )
    promotion_min_n: int = Field(
        20,
        ge=1,
        description="warmline train: a segment group with fewer held-out items is too few to "
        "judge and cannot block",
    )
    promotion_correction: Literal["holm", "bh", "none"] = Field(
        "holm", description="warmline train: the correction over the segment groups' tests"
    )
    metrics_token: str = Field(
        "",
        repr=False,
        description="bearer token a Prometheus scraper sends to read `/metrics` (an admin's "
        "session also may); unset: generated on first start and kept in `metrics_token` beside "
        "the secret key (docs/observability.md)",
    )
    host: str = Field("127.0.0.1", description="address `warmline serve` binds")
    port: int = Field(8000, description="port `warmline serve` binds")
    log_level: str = Field("info", description="log level of the server")
    keep_alive_s: int = Field(
        75,
        ge=1,
        description="seconds `warmline serve` keeps an idle keep-alive connection open; longer "
        "than the idle timeout of the proxy or client in front of it, so that a request is never "
        "sent on a connection the server is closing",
    )

    @field_validator("agents", mode="before")
    @classmethod
    def _hash_only_accounts(cls, value: Any) -> Any:
        """An account given as a bare hash string is an ``agent`` with no default skills."""
        if isinstance(value, dict):
            return {k: {"hash": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator(
        "signin_limit_per_name", "signin_limit_per_address", "start_limit", "message_limit"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError(f"'{value}' is not a rate such as '10/minute'") from None
        return value

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest:
                raise ValueError(f"'{origin}' is not an origin such as https://shop.example")
        return [o.lower() for o in value]

    @property
    def development(self) -> bool:
        """The explicit development (or test) mode: the shared agent password works."""
        return self.environment != "production"

    def shared_agent_password(self) -> str | None:
        """The password every agent signs in with: only in development or test, only while
        no accounts are configured."""
        if not self.development or self.agents:
            return None
        return self.agent_password or DEV_AGENT_PASSWORD

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        if self.secret_key and len(self.secret_key) < MIN_SECRET_CHARS:
            raise ValueError(
                f"WARMLINE_SECRET_KEY must hold at least {MIN_SECRET_CHARS} characters "
                "(or be unset: a random one is generated and kept with the data)"
            )
        if self.environment == "production" and self.agent_password is not None:
            raise ValueError(
                "WARMLINE_AGENT_PASSWORD is a development convenience; in production give each "
                "agent an account in WARMLINE_AGENTS"
            )
        if self.environment == "production" and self.customer_picker:
            raise ValueError("WARMLINE_CUSTOMER_PICKER is a development switch, not for production")
        if self.default_pack not in [Path(p).stem for p in self.packs]:
            raise ValueError(f"default_pack '{self.default_pack}' is not among packs {self.packs}")
        return self


def secret_key_path(settings: Settings) -> Path | None:
    """Where the generated secret key is kept: ``secret_key_file``, else beside the SQLite
    database, else ``var/secret_key``; None for an in-memory SQLite database."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            return None
        return Path(database).parent / "secret_key"
    return Path("var/secret_key")


def kept_secret_key(settings: Settings) -> str:
    """The secret key kept with the data, generated on first start. Creation is exclusive
    (``O_EXCL``, mode 0600), so workers starting together agree on one key."""
    path = secret_key_path(settings)
    if path is None:
        return secrets.token_urlsafe(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48))
        for _ in range(50):  # another worker may be writing it right now
            key = path.read_text("ascii").strip()
            if len(key) >= MIN_SECRET_CHARS:
                return key
            time.sleep(0.05)
    except OSError as exc:
        raise ConfigurationError(f"cannot keep the secret key in {path}: {exc}") from None
    raise ConfigurationError(f"{path} holds no usable secret key; delete it or set one")


def stock_webhook_secret_path(settings: Settings) -> Path | None:
    """Where the generated stock webhook secret is kept: beside the secret key."""
    key = secret_key_path(settings)
    return None if key is None else key.parent / "stock_webhook_secret"


def kept_stock_webhook_secret(settings: Settings) -> str:
    """The stock webhook secret kept with the data, generated on first start as the secret
    key is (an in-memory database: one per process)."""
    path = stock_webhook_secret_path(settings)
    if path is None:
        return secrets.token_urlsafe(48)
    return kept_secret_key(settings.model_copy(update={"secret_key_file": path}))


def metrics_token_path(settings: Settings) -> Path | None:
    """Where the generated scrape token of ``/metrics`` is kept: beside the secret key."""
    key = secret_key_path(settings)
    return None if key is None else key.parent / "metrics_token"


def kept_metrics_token(settings: Settings) -> str:
    """The scrape token kept with the data, generated on first start as the secret key is
    (an in-memory database: one per process)."""
    path = metrics_token_path(settings)
    if path is None:
        return secrets.token_urlsafe(32)
    return kept_secret_key(settings.model_copy(update={"secret_key_file": path}))


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests, CLI flags); with no
    secret key given, the one kept with the data (``kept_secret_key``)."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None
    if not settings.secret_key:
        settings.secret_key = kept_secret_key(settings)
    if not settings.stock_webhook_secret:
        settings.stock_webhook_secret = kept_stock_webhook_secret(settings)
    return settings
