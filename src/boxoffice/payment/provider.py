"""The card provider port, and a mock provider whose test card tokens decide the outcome, to
drive every saga branch."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    reference: str
    reason: str = ""


class CardProvider(Protocol):
    """Charges cards and gives money back. Both calls are idempotent by their id: a payment
    asked again (after a restart, a timeout) is charged once, a refund asked again refunds once,
    and the answer is the same."""

    async def charge(self, payment_id: str, token: str, amount: int) -> ChargeResult: ...

    async def refund(self, refund_id: str, payment_id: str, amount: int) -> str:
        """Give `amount` back on the payment; the provider's reference of the refund."""
        ...


TEST_CARDS = {
    "tok_success": "approved at once",
    "tok_decline": "declined by the issuer",
    "tok_timeout": "never answers",
    "tok_slow": "approved after a delay",
}


class MockCardProvider:
    def __init__(self, slow_seconds: float) -> None:
        self.slow_seconds = slow_seconds

    async def charge(self, payment_id: str, token: str, amount: int) -> ChargeResult:
        """Charge `amount` minor units; the mock's answer depends only on the token."""
        del amount
        reference = f"mock_{payment_id[:8]}"
        if token == "tok_success":
            return ChargeResult(True, reference)
        if token == "tok_slow":
            await asyncio.sleep(self.slow_seconds)
            return ChargeResult(True, reference)
        if token == "tok_timeout":
            await asyncio.Event().wait()  # the provider never answers
        if token == "tok_decline":
            return ChargeResult(False, reference, "The card was declined.")
        return ChargeResult(
            False, reference, f"Unknown test card {token!r}; use one of {', '.join(TEST_CARDS)}."
        )

    async def refund(self, refund_id: str, payment_id: str, amount: int) -> str:
        """Give `amount` back on the payment; a repeated refund id refunds once."""
        return f"mock_refund_{payment_id[:8]}_{refund_id[:8]}_{amount}"
