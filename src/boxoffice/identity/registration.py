"""The identity service as the registry knows it (boxoffice.services)."""

from __future__ import annotations

from pathlib import Path

from boxoffice.identity import api, store
from boxoffice.identity.service import AuthLimits, IdentityService
from boxoffice.kernel.auth import PasswordHashing, default_hash_concurrency
from boxoffice.kernel.ratelimit import Limit, RateLimiter
from boxoffice.kernel.registry import Built, Context, ServiceSpec


def build(ctx: Context) -> Built:
    s = ctx.settings
    assert ctx.issuer is not None, "identity signs the tokens"
    identity = IdentityService(
        ctx.store,
        ctx.issuer,
        s.refresh_token_ttl_seconds,
        hashing=PasswordHashing(
            s.password_hash_concurrency or default_hash_concurrency(), s.password_hash_queue
        ),
        limiter=RateLimiter(ctx.redis, prefix="identity:rl"),
        limits=AuthLimits(
            per_client=Limit("client", s.auth_limit_per_client, s.auth_limit_per_client_seconds),
            failures_per_account=Limit(
                "failures", s.auth_failures_per_account, s.auth_failures_per_account_seconds
            ),
            refreshes_per_account=Limit(
                "refreshes", s.auth_refreshes_per_account, s.auth_refreshes_per_account_seconds
            ),
        ),
    )

    async def first_admin() -> None:
        if s.admin_email and s.admin_password:
            await identity.ensure_user(s.admin_email, s.admin_password, "Administrator", ["admin"])

    return Built(identity, start=first_admin)


SPEC = ServiceSpec(
    name="identity",
    messaging=store.messaging,
    migrations=Path(__file__).resolve().parent / "migrations",
    router=api.router,
    build=build,
    signs_tokens=True,
)
