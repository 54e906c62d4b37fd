"""Identity HTTP routes: /auth/*, /users/me, /admin/users."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from pydantic.json_schema import SkipJsonSchema

from boxoffice.identity.service import IdentityService, Tokens
from boxoffice.identity.store import User
from boxoffice.kernel.inputs import Limit, Offset
from boxoffice.kernel.openapi import problems
from boxoffice.kernel.roles import Role
from boxoffice.kernel.web import Admin, CurrentUser, client_address, provided

router = APIRouter(tags=["identity"])


async def identity_service(request: Request) -> IdentityService:
    return provided(request, IdentityService)


IdentityDep = Annotated[IdentityService, Depends(identity_service)]


async def _per_client(request: Request, svc: IdentityDep) -> None:
    """The per-client-address limit of the auth endpoints (429 with Retry-After past it)."""
    await svc.admit_client(client_address(request))


_per_client.problem_statuses = (429, 503)  # type: ignore[attr-defined]

PerClientLimit = Depends(_per_client)

# Answers that carry tokens must not be kept by any cache (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store"}


NewPassword = Annotated[str, Field(min_length=8, max_length=128)]


class RegisterIn(BaseModel):
    email: EmailStr
    password: NewPassword
    name: str = Field(min_length=1, max_length=120)


class LoginIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: NewPassword


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    roles: list[str]
    created_at: datetime
    email_verified_at: datetime | None = Field(
        default=None, description="when the address was verified (the welcome mail's link)"
    )
    phone: str | None = Field(default=None, description="E.164, e.g. +4915123456789")
    sms_opt_in: bool = Field(default=False, description="texts wanted (tickets, changes)")


# E.164: a plus, a country code that does not start with 0, at most 15 digits in all.
Phone = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$", examples=["+4915123456789"])]


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=120)] | SkipJsonSchema[None] = None
    phone: Phone | None = Field(default=None, description="null removes it")
    sms_opt_in: bool | SkipJsonSchema[None] = None


class ResetRequestIn(BaseModel):
    email: EmailStr


class ResetConfirmIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    password: NewPassword


class EmailChangeIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=128)


class VerifyIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class AdminUserIn(RegisterIn):
    roles: list[Role] = Field(default=["customer"], min_length=1)


class RolesIn(BaseModel):
    roles: list[Role] = Field(min_length=1)


@router.post(
    "/auth/register",
    status_code=201,
    response_model=UserOut,
    dependencies=[PerClientLimit],
    responses=problems(409, 429, 503),
)
async def register(body: RegisterIn, svc: IdentityDep, response: Response) -> User:
    user = await svc.register(body.email, body.password, body.name)
    response.headers["Location"] = "/api/v1/users/me"  # the new user's own view of itself
    return user


@router.post(
    "/auth/login",
    response_model=TokensOut,
    dependencies=[PerClientLimit],
    responses=problems(401, 429, 503),
)
async def login(body: LoginIn, svc: IdentityDep, response: Response) -> Tokens:
    response.headers.update(NO_STORE)
    return await svc.login(body.email, body.password)


@router.post(
    "/auth/refresh",
    response_model=TokensOut,
    dependencies=[PerClientLimit],
    responses=problems(401, 429),
)
async def refresh(body: RefreshIn, svc: IdentityDep, response: Response) -> Tokens:
    response.headers.update(NO_STORE)
    return await svc.refresh(body.refresh_token)


@router.post(
    "/auth/password-reset",
    status_code=202,
    response_class=Response,
    dependencies=[PerClientLimit],
    responses=problems(429, 503),
)
async def password_reset(body: ResetRequestIn, svc: IdentityDep) -> Response:
    """Mail a reset link to the account of this email, if there is one: the answer is 202
    either way (nobody learns which emails have accounts). The link is good for 30 minutes,
    once; at most one mail a minute per account."""
    await svc.request_password_reset(body.email)
    return Response(status_code=202)


password_reset.no_location = True  # type: ignore[attr-defined]


@router.post(
    "/auth/password-reset/confirm",
    status_code=204,
    dependencies=[PerClientLimit],
    responses=problems(400, 429, 503),
)
async def password_reset_confirm(body: ResetConfirmIn, svc: IdentityDep) -> Response:
    """Set a new password with the mailed token; every session of the account ends."""
    await svc.reset_password(body.token, body.password)
    return Response(status_code=204)


@router.post(
    "/auth/verify-email",
    status_code=204,
    dependencies=[PerClientLimit],
    responses=problems(400, 429, 503),
)
async def verify_email(body: VerifyIn, svc: IdentityDep) -> Response:
    """The welcome mail's link: the address is verified."""
    await svc.verify_email(body.token)
    return Response(status_code=204)


@router.post(
    "/users/me/email",
    status_code=202,
    response_class=Response,
    dependencies=[PerClientLimit],
    responses=problems(409, 422, 429, 503),
)
async def change_email(body: EmailChangeIn, user: CurrentUser, svc: IdentityDep) -> Response:
    """Ask to change my address (with my password): a link goes to the new address, good for
    24 hours; the address changes when it is used (POST /auth/email-change/confirm)."""
    await svc.request_email_change(user.user_id, body.password, body.email)
    return Response(status_code=202)


change_email.no_location = True  # type: ignore[attr-defined]


@router.post(
    "/auth/email-change/confirm",
    response_model=UserOut,
    dependencies=[PerClientLimit],
    responses=problems(400, 409, 429, 503),
)
async def confirm_email_change(body: VerifyIn, svc: IdentityDep) -> User:
    """The link of the mail to the new address: it becomes the account's; every session ends
    (log in with the new address)."""
    return await svc.confirm_email_change(body.token)


@router.post("/auth/logout", status_code=204)
async def logout(body: RefreshIn, svc: IdentityDep) -> None:
    await svc.logout(body.refresh_token)


@router.patch("/users/me", response_model=UserOut, responses=problems(404, 422))
async def change_me(body: ProfileIn, user: CurrentUser, svc: IdentityDep) -> User:
    """Change my name, phone number (E.164; null removes it, and texts with it) and whether I
    want texts (`sms_opt_in`, needs a number). Only the fields given change."""
    values = body.model_dump(exclude_unset=True)
    if values.get("name") is None:
        values.pop("name", None)
    if values.get("sms_opt_in") is None:
        values.pop("sms_opt_in", None)
    return await svc.change_profile(user.user_id, values)


@router.get("/users/me", response_model=UserOut, responses=problems(404))
async def me(user: CurrentUser, svc: IdentityDep) -> User:
    return await svc.get(user.user_id)


@router.post(
    "/users/me/password",
    status_code=204,
    dependencies=[PerClientLimit],
    responses=problems(422, 429, 503),
    summary="Change my password",
    description="Needs the current password (a wrong one: 422). Ends every session of the "
    "user: all refresh tokens are revoked, access tokens run out within their lifetime.",
)
async def change_password(body: PasswordChangeIn, user: CurrentUser, svc: IdentityDep) -> Response:
    await svc.change_password(user.user_id, body.current_password, body.new_password)
    return Response(status_code=204, headers=NO_STORE)


@router.get("/admin/users", response_model=list[UserOut])
async def list_users(
    _: Admin,
    svc: IdentityDep,
    email: Annotated[str | None, Query(max_length=200)] = None,
    role: Role | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[User]:
    return await svc.search(email=email, role=role, limit=limit, offset=offset)


@router.post("/admin/users", status_code=201, response_model=UserOut, responses=problems(409, 503))
async def create_user(body: AdminUserIn, _: Admin, svc: IdentityDep, response: Response) -> User:
    user = await svc.create_user(body.email, body.password, body.name, list(body.roles))
    response.headers["Location"] = f"/api/v1/admin/users/{user.id}"
    return user


@router.get("/admin/users/{user_id}", response_model=UserOut, responses=problems(404))
async def get_user(user_id: uuid.UUID, _: Admin, svc: IdentityDep) -> User:
    return await svc.get(user_id)


@router.patch("/admin/users/{user_id}", response_model=UserOut, responses=problems(404))
async def set_roles(user_id: uuid.UUID, body: RolesIn, _: Admin, svc: IdentityDep) -> User:
    return await svc.set_roles(user_id, list(body.roles))
