"""Payment HTTP routes: read a payment, refund it (admin)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from boxoffice.kernel.openapi import problems
from boxoffice.kernel.web import Admin, CurrentUser, IdempotencyKey, provided
from boxoffice.payment.service import PaymentService, PaymentView

router = APIRouter(tags=["payment"])


async def payment_service(request: Request) -> PaymentService:
    return provided(request, PaymentService)


PaymentDep = Annotated[PaymentService, Depends(payment_service)]


class RefundOut(BaseModel):
    id: uuid.UUID
    amount: int
    reason: str
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="pending: recorded, the provider has not confirmed it yet"
    )
    provider_ref: str | None
    created_at: datetime


class PaymentOut(BaseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    user_id: uuid.UUID
    amount: int
    currency: str
    method: str
    status: str
    refunded: int
    provider_ref: str | None
    failure_reason: str | None
    created_at: datetime
    updated_at: datetime
    refunds: list[RefundOut]


class RefundIn(BaseModel):
    amount: int | None = Field(
        default=None,
        ge=1,
        le=100_000_000,
        description="Minor units; omit to refund everything left.",
    )
    reason: Annotated[str, Field(min_length=1, max_length=500)] = "Refunded by an administrator."


@router.get("/payments/{payment_id}", response_model=PaymentOut, responses=problems(404))
async def get_payment(payment_id: uuid.UUID, user: CurrentUser, svc: PaymentDep) -> PaymentView:
    return await svc.get(user, payment_id)


@router.get("/bookings/{booking_id}/payment", response_model=PaymentOut, responses=problems(404))
async def booking_payment(booking_id: uuid.UUID, user: CurrentUser, svc: PaymentDep) -> PaymentView:
    return await svc.find(user, booking_id)


@router.post(
    "/payments/{payment_id}/refund", response_model=PaymentOut, responses=problems(404, 409)
)
async def refund(
    payment_id: uuid.UUID,
    admin: Admin,
    svc: PaymentDep,
    idempotency_key: IdempotencyKey,
    body: RefundIn | None = None,
) -> Any:
    body = body or RefundIn()
    status, answer = await svc.refund(payment_id, body.amount, body.reason, admin, idempotency_key)
    return JSONResponse(
        PaymentOut.model_validate(answer).model_dump(mode="json"), status_code=status
    )
