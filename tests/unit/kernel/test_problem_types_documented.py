"""docs/api.md lists every problem type a domain error can answer with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boxoffice.bootstrap  # noqa: F401 (imports every service's domain errors)
from boxoffice.kernel.errors import DomainError
from boxoffice.kernel.problems import STATUS_SLUGS

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_problem_type_is_in_the_api_docs() -> None:
    text = DOCS.read_text()
    slugs = {c.slug for c in subclasses(DomainError) if c.__name__ != "RemoteProblem"}
    slugs |= set(STATUS_SLUGS.values()) | {"invalid-data"}
    missing = sorted(s for s in slugs if f"`{s}`" not in text)
    assert not missing, f"docs/api.md does not list: {missing}"
