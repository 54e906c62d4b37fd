"""Settings shared by every service, read from BOXOFFICE_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProcessGroup(BaseModel):
    """Services that run together in one process of the distributed shape, and how many
    replicas of that process run."""

    services: list[str] = Field(min_length=1)
    replicas: int = Field(default=1, ge=1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOXOFFICE_", extra="ignore")

    # Empty URLs mean "start the embedded server" (all-in-one shape).
    database_url: str = ""
    redis_url: str = ""
    nats_url: str = ""
    # What a NATS URL cannot say (docs/operations.md#credentials-and-tls): a private CA for a
    # TLS server, a client certificate, a .creds file (user JWT + nkey seed).
    nats_tls_ca_file: Path | None = None
    nats_tls_cert_file: Path | None = None
    nats_tls_key_file: Path | None = None
    nats_creds_file: Path | None = None
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
    # Places (seats and GA places) one customer may have in live holds and pending bookings
    # of one show at once, for shows that set no limit of their own.
    max_held_per_customer: int = 10

    # Auth. Keys default to files under var_dir/keys, generated on first start.
    jwt_private_key_file: Path | None = None
    jwt_public_key_file: Path | None = None
    jwt_issuer: str = "boxoffice"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600

    # Rate limits on login, register, refresh and password change, counted in Redis by every
    # process together (docs/operations.md). A count of 0 switches that limit off.
    # Requests to those endpoints per client address and window:
    auth_limit_per_client: int = 30
    auth_limit_per_client_seconds: float = 60.0
    # Failed attempts per account (email) and window: wrong passwords at login or password
    # change, sign-ups of an email already taken. Once reached, the account's logins answer 429
    # until the window ends, even with the right password; a right password does not count.
    auth_failures_per_account: int = 10
    auth_failures_per_account_seconds: float = 900.0
    # Refreshes per user and window (a client refreshing in a loop).
    auth_refreshes_per_account: int = 30
    auth_refreshes_per_account_seconds: float = 900.0
    # Behind a proxy that sets X-Real-IP (nginx in the distributed shape sets it): take the
    # client address from that header. Never set it where clients reach the process directly.
    behind_proxy: bool = False
    # Password hashes (argon2) one process computes at once (0: every core but one), and how
    # many more may wait before a login is refused with 503 and Retry-After.
    password_hash_concurrency: int = 0
    password_hash_queue: int = 16

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
    # Which services share a process in the distributed shape, and how many replicas of each
    # process run (JSON, docs/operations.md#topology). A service named in no group runs in a
    # process of its own, as many times as its registration says (inventory and booking 2).
    topology: list[ProcessGroup] = []
    internal_token: str = ""
    rpc_timeout_seconds: float = 3.0
    consumer_ack_wait_seconds: float = 30.0
    # Events one process handles at once, over all its consumers: enough to overlap their
    # round trips, few enough to leave database connections to the HTTP requests.
    consumer_concurrency: int = 16
    # The most events one consumer handles in one transaction (of what was waiting when it
    # asked, spread over its free slots).
    consumer_batch_size: int = 16

    # The largest request body (bytes) the app and nginx accept: a 100,000-seat hall layout
    # (catalog MAX_SEATS_PER_HALL) is 9 MiB of compact JSON with coordinates, 14.5 MiB with
    # the longest labels and categories the schema allows.
    max_request_body_bytes: int = 16 * 1024 * 1024

    db_pool_size: int = 10
    # POST /bookings: as many at once as the pool has connections, this many more wait their
    # turn in order; past that a 503 with Retry-After (kernel.gate).
    booking_queue_size: int = 4096
    # Longest wait for a row lock and longest statement, per database session (kernel/db.py).
    db_lock_timeout_ms: int = 3_000
    db_statement_timeout_ms: int = 30_000
    log_level: str = "INFO"
    ticket_signing_secret: str = ""
    # Signs waiting-room admission passes and join challenges (default: var_dir/keys).
    admission_secret: str = ""
    # The proof of work a customer's browser does to join a waiting room: SHA-256 with this
    # many leading zero bits (16: about 65,000 hashes, well under a second; 0: none).
    queue_pow_bits: int = Field(default=16, ge=0, le=32)
    # How often the waiting rooms let the next buyers in.
    admission_tick_seconds: float = 1.0
    # How long places offered to the next customer on a sold-out show's waiting list stay
    # held for them (the offer is a hold: booking it is the usual checkout).
    waitlist_offer_seconds: int = Field(default=600, ge=30, le=86_400)

    # Mail (docs/operations.md#mail): smtp://user:pass@host:port (STARTTLS when the server
    # offers it), smtp+starttls:// (STARTTLS required) or smtps:// (TLS from the start). Empty:
    # `boxoffice up` starts the development sink under var/mail (dev_inbox).
    smtp_url: str = ""
    mail_from: str = "boxoffice <tickets@boxoffice.localhost>"
    # SMS through Twilio's REST API: twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=%2B1…
    # Empty: texts go to the development inbox when it runs, else none are sent.
    sms_url: str = ""
    # Set by `boxoffice up` when it runs the development sink: admins may read var/mail.
    dev_inbox: bool = False
    # Where customers reach the web UI: the links in mails (default: the address `boxoffice
    # up` listens on).
    public_url: str = ""
    # A mail not sent (server down, slow, 4xx) is tried again after this, doubled each time
    # up to an hour; after mail_max_attempts it is a dead letter an admin can send again.
    mail_retry_seconds: float = Field(default=5.0, gt=0)
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_poll_seconds: float = Field(default=1.0, gt=0)

    # production refuses to start with settings that are only fit for a developer's machine.
    env: Literal["development", "production"] = "development"
    # When set, GET /metrics answers only "Authorization: Bearer <this token>".
    metrics_token: str = ""

    def production_refusals(self) -> list[str]:
        """Why these settings must not run in production (empty: fine, or not production)."""
        if self.env != "production":
            return []
        refusals = []
        if not self.metrics_token:
            refusals.append("/metrics is open to anyone: set BOXOFFICE_METRICS_TOKEN")
        return refusals

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"


def default(name: str) -> Any:
    """The default of setting `name`: for a keyword default elsewhere that must agree with it."""
    return Settings.model_fields[name].default
