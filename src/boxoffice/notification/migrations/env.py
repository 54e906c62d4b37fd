"""Alembic environment of the notification service."""

from boxoffice.kernel.migrate import run_env
from boxoffice.notification.store import metadata

run_env(metadata)
