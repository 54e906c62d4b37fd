"""FastAPI building blocks shared by the services: who is calling, which roles, idempotency keys.

A dependency that can answer with a problem lists those statuses in `problem_statuses`, for the
OpenAPI error documentation."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from boxoffice.kernel.auth import Principal, TokenVerifier
from boxoffice.kernel.errors import Forbidden, InvalidRequest, Unauthorized, problem_statuses
from boxoffice.kernel.registry import Services
from boxoffice.kernel.roles import Role
from boxoffice.kernel.rpc import INTERNAL_TOKEN_HEADER
from boxoffice.kernel.telemetry import user_id_var

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/login")


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier


def provided(request: Request, kind: type[T]) -> T:
    """The object of class `kind` this process runs (a service's use cases, the seat feed):
    what each service's typed dependency (`CatalogDep` …) reads."""
    services: Services = request.app.state.services
    return services.get(kind)


@problem_statuses(401)
async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthorized("Log in first: this needs an access token (Authorization: Bearer ...).")
    principal = _verifier(request).verify(credentials.credentials)
    user_id_var.set(str(principal.user_id))  # for log lines of this request
    return principal


@problem_statuses(401)
async def optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is None:
        return None
    return _verifier(request).verify(credentials.credentials)


CurrentUser = Annotated[Principal, Depends(current_user)]
OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def require_roles(*roles: Role) -> object:
    @problem_statuses(403)
    async def check(user: CurrentUser) -> Principal:
        if not user.has(*roles):
            raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
        return user

    return Depends(check)


@problem_statuses(403)
async def _organizer(user: CurrentUser) -> Principal:
    if not user.has("organizer", "admin"):
        raise Forbidden("This needs the organizer or admin role.")
    return user


@problem_statuses(403)
async def _admin(user: CurrentUser) -> Principal:
    if not user.is_admin:
        raise Forbidden("This needs the admin role.")
    return user


Organizer = Annotated[Principal, Depends(_organizer)]
Admin = Annotated[Principal, Depends(_admin)]


@problem_statuses(422)
async def _idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Repeat a request with the same key to get the first answer again.",
        ),
    ] = None,
) -> str | None:
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise InvalidRequest("Idempotency-Key must be 1 to 200 characters.")
    return idempotency_key


IdempotencyKey = Annotated[str | None, Depends(_idempotency_key)]


@problem_statuses(403)
async def _internal(request: Request) -> None:
    expected: str = request.app.state.internal_token
    if not expected or request.headers.get(INTERNAL_TOKEN_HEADER) != expected:
        raise Forbidden("Internal service API.")


InternalCaller = Depends(_internal)


def client_address(request: Request) -> str:
    """Who is calling, for per-client limits: the peer's address, or behind a trusted proxy
    (setting behind_proxy: nginx in the distributed shape) the X-Real-IP it sets. The header
    is ignored otherwise: any client could send one."""
    if getattr(request.app.state, "behind_proxy", False):
        forwarded = request.headers.get("x-real-ip", "").strip()
        if forwarded:
            return forwarded
    return request.client.host if request.client else "unknown"
