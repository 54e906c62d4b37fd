"""An in-memory card provider for unit tests: answers the test cards as the product's mock does,
records every call, and can be scripted to decline, never answer, or fail refunds."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from boxoffice.payment.provider import ChargeResult


@dataclass
class FakeCardProvider:
    charges: list[tuple[str, str, int]] = field(default_factory=list)
    refunds: list[tuple[str, str, int]] = field(default_factory=list)
    decline_next: int = 0  # charges declined whatever the token
    hang_next: int = 0  # charges that never answer
    fail_refunds: int = 0  # refunds that raise ConnectionError
    _answers: dict[str, ChargeResult] = field(default_factory=dict)

    async def charge(self, payment_id: str, token: str, amount: int) -> ChargeResult:
        self.charges.append((payment_id, token, amount))
        if payment_id in self._answers:  # asked again: the first answer, charged once
            return self._answers[payment_id]
        if self.hang_next or token == "tok_timeout":
            self.hang_next = max(0, self.hang_next - 1)
            await asyncio.Event().wait()
        reference = f"fake_{payment_id}"
        if self.decline_next:
            self.decline_next -= 1
            answer = ChargeResult(False, reference, "The card was declined.")
        elif token in ("tok_success", "tok_slow"):
            answer = ChargeResult(True, reference)
        elif token == "tok_decline":
            answer = ChargeResult(False, reference, "The card was declined.")
        else:
            answer = ChargeResult(False, reference, f"Unknown test card {token!r}.")
        self._answers[payment_id] = answer
        return answer

    async def refund(self, refund_id: str, payment_id: str, amount: int) -> str:
        self.refunds.append((refund_id, payment_id, amount))
        if self.fail_refunds:
            self.fail_refunds -= 1
            raise ConnectionError("the provider is unreachable")
        return f"fake_refund_{refund_id}"

    def charged(self) -> dict[str, int]:
        """What was charged, by payment id: each approved payment once, however often asked."""
        return {
            payment_id: amount
            for payment_id, _, amount in self.charges
            if self._answers[payment_id].approved
        }
