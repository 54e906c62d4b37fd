"""Settings shared by every service, read from BOXOFFICE_* environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    # Empty URLs mean "start the embedded server" (all-in-one shape).
    database_url: str = ""
    redis_url: str = ""
    nats_url: str = ""
    var_dir: Path = Path("var")

    host: str = "127.0.0.1"
    port: int = 8000

    # Holds and the booking saga.
    hold_ttl_seconds: int = 600
    payment_timeout_seconds: float = 60.0
    # How long a mock "tok_slow" payment takes to answer.
    payment_slow_seconds: float = 2.0
    saga_sweep_seconds: float = 1.0
    hold_sweep_seconds: float = 1.0
    # Live holds one customer may keep on one show (holds being paid for do not count).
    max_holds_per_user_per_show: int = 10

    # Auth. Keys default to files under var_dir/keys, generated on first start.
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "boxoffice"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600

    # Event consumers.
    consumer_max_deliveries: int = 5
    consumer_backoff_seconds: float = 0.5
    event_stream: str = "BOXOFFICE"
    event_subject_prefix: str = "bx"

    # When both are set, start-up makes sure this admin exists (the first admin of an install).
    admin_email: str = ""
    admin_password: str = ""

    # Distributed shape: where the other services answer (comma-separated replica base URLs)
    # and the shared secret of their /internal API (default: var_dir/keys/internal-token).
    catalog_urls: str = ""
    inventory_urls: str = ""
    internal_token: str = ""
    rpc_timeout_seconds: float = 3.0
    consumer_ack_wait_seconds: float = 30.0
    # Events one process handles at once, over all its consumers.
    consumer_concurrency: int = 16

    # The largest request body (bytes) the app and nginx accept: a 100,000-seat hall layout
    # (catalog MAX_SEATS_PER_HALL) is 9 MiB of compact JSON with coordinates, 14.5 MiB with
    # the longest labels and categories the schema allows.
    max_request_body_bytes: int = 16 * 1024 * 1024

    db_pool_size: int = 10
    # Longest wait for a row lock and longest statement, per database session (kernel/db.py).
    db_lock_timeout_ms: int = 3_000
    db_statement_timeout_ms: int = 30_000
    log_level: str = "INFO"
    ticket_signing_secret: str = ""

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"
