"""Alembic environment of the payment service."""

from boxoffice.kernel.migrate import run_env
from boxoffice.payment.store import metadata

run_env(metadata)
