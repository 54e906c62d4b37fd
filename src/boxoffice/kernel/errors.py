"""Domain error base classes (standard library only); kernel.problems maps them to RFC 9457."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar


def slug_of(name: str) -> str:
    """`SeatsTaken` → `seats-taken`: the problem type of an error class, from its name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


class DomainError(Exception):
    """A rule of the domain was broken by the request; the caller can fix it."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    # The problem type (kernel.problems makes it a URI); each subclass gets its own from its
    # name unless it names one, so that a client can tell SeatsTaken from SoldOut (both 409).
    slug: ClassVar[str] = "bad-request"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "slug" not in cls.__dict__:
            cls.slug = slug_of(cls.__name__)

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidRequest(DomainError):
    status = 422
    title = "Invalid request"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class TooManyRequests(DomainError):
    status = 429
    title = "Too many requests"


class Unavailable(DomainError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


PROBLEM_STATUSES = "problem_statuses"
F = TypeVar("F", bound=Callable[..., Any])


def problem_statuses(*statuses: int) -> Callable[[F], F]:
    """Mark a FastAPI dependency with the error statuses it answers, so that every route using
    it declares them in the OpenAPI document (kernel.openapi collects them)."""

    def mark(dependency: F) -> F:
        setattr(
            dependency, PROBLEM_STATUSES, (*getattr(dependency, PROBLEM_STATUSES, ()), *statuses)
        )
        return dependency

    return mark
