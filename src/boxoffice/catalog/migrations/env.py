"""Alembic environment of the catalog service."""

from boxoffice.catalog.store import metadata
from boxoffice.kernel.migrate import run_env

run_env(metadata)
