"""`boxoffice makemigration SERVICE -m …`: Alembic autogenerate for one service, on a copy of its
migrations so the source tree is left alone."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from boxoffice.inventory import store as inventory
from boxoffice.kernel.migrate import make_revision
from boxoffice.services import BY_NAME

pytestmark = pytest.mark.integration

MIGRATIONS = Path(inventory.__file__).parent / "migrations"


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def test_an_up_to_date_service_gets_no_migration(
    own_engine: AsyncEngine, migrations: Path
) -> None:
    before = sorted(p.name for p in (migrations / "versions").glob("*.py"))
    made = await asyncio.to_thread(
        make_revision, BY_NAME["inventory"], _url(own_engine), "nothing", migrations
    )
    assert made is None
    assert sorted(p.name for p in (migrations / "versions").glob("*.py")) == before


async def test_a_new_column_becomes_the_next_numbered_revision(
    own_engine: AsyncEngine, migrations: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = sa.MetaData(schema="inventory")
    for table in inventory.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["inventory.shows"].append_column(sa.Column("note", sa.Text, nullable=True))
    monkeypatch.setattr(inventory, "metadata", changed)  # what migrations/env.py imports
    last = max(p.stem[5:9] for p in (migrations / "versions").glob("inve_*.py"))
    after, next_ = f"inve_{last}", f"inve_{int(last) + 1:04d}"

    made = await asyncio.to_thread(
        make_revision, BY_NAME["inventory"], _url(own_engine), "Add a note to shows", migrations
    )

    assert made == migrations / "versions" / f"{next_}_add_a_note_to_shows.py"
    text = made.read_text()
    assert f'revision: str = "{next_}"' in text
    assert f'down_revision: str | None = "{after}"' in text
    # formatted by ruff (double quotes), as `make lint` wants it
    add = 'op.add_column("shows", sa.Column("note", sa.Text(), nullable=True), schema="inventory")'
    assert add in text
    assert "op.drop_column" in text
