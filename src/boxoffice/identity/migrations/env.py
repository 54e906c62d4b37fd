"""Alembic environment of the identity service."""

from boxoffice.identity.store import metadata
from boxoffice.kernel.migrate import run_env

run_env(metadata)
