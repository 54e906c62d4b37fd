"""Contract tests run each port's tests against its real adapter and its in-memory fake; the
real adapters use the integration fixtures (the session's Redis, db 9)."""

from __future__ import annotations

from tests.integration.conftest import redis

__all__ = ["redis"]
