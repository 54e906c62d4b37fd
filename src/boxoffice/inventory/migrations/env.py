"""Alembic environment of the inventory service."""

from boxoffice.inventory.store import metadata
from boxoffice.kernel.migrate import run_env

run_env(metadata)
