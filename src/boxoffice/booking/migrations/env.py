"""Alembic environment of the booking service."""

from boxoffice.booking.store import metadata
from boxoffice.kernel.migrate import run_env

run_env(metadata)
