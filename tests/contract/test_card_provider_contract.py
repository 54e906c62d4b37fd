"""One contract for the card provider port, run against the product's mock provider and the
unit tests' fake: the test cards' outcomes, idempotent retries by id, refunds."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from boxoffice.payment.provider import CardProvider, MockCardProvider
from tests.fakes_payment import FakeCardProvider


def _id() -> str:
    return str(uuid.uuid4())


class CardProviderContract:
    def provider(self) -> CardProvider:
        raise NotImplementedError

    async def test_a_good_card_is_approved_with_a_reference(self) -> None:
        answer = await self.provider().charge(_id(), "tok_success", 4200)
        assert answer.approved and answer.reference and answer.reason == ""

    async def test_a_declined_card_is_refused_with_a_reason(self) -> None:
        answer = await self.provider().charge(_id(), "tok_decline", 4200)
        assert not answer.approved and "declined" in answer.reason

    async def test_an_unknown_card_is_refused_naming_it(self) -> None:
        answer = await self.provider().charge(_id(), "tok_nonsense", 4200)
        assert not answer.approved and "tok_nonsense" in answer.reason

    async def test_a_slow_card_is_approved_once_it_answers(self) -> None:
        answer = await self.provider().charge(_id(), "tok_slow", 4200)
        assert answer.approved

    async def test_a_timeout_card_never_answers(self) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(self.provider().charge(_id(), "tok_timeout", 4200), 0.05)

    async def test_a_payment_asked_again_gets_the_same_answer(self) -> None:
        provider, payment_id = self.provider(), _id()
        first = await provider.charge(payment_id, "tok_success", 4200)
        assert await provider.charge(payment_id, "tok_success", 4200) == first
        other = await provider.charge(_id(), "tok_success", 4200)
        assert other.reference != first.reference

    async def test_a_refund_asked_again_answers_the_same_reference(self) -> None:
        provider, payment_id, refund_id = self.provider(), _id(), _id()
        await provider.charge(payment_id, "tok_success", 4200)
        reference = await provider.refund(refund_id, payment_id, 1000)
        assert reference
        assert await provider.refund(refund_id, payment_id, 1000) == reference
        assert await provider.refund(_id(), payment_id, 1000) != reference


class TestMockCardProvider(CardProviderContract):
    def provider(self) -> CardProvider:
        return MockCardProvider(slow_seconds=0.01)


class TestFakeCardProvider(CardProviderContract):
    def provider(self) -> CardProvider:
        return FakeCardProvider()

    async def test_it_records_calls_and_charges_each_payment_once(self) -> None:
        fake, payment_id = FakeCardProvider(), _id()
        for _ in range(2):
            await fake.charge(payment_id, "tok_success", 4200)
        assert len(fake.charges) == 2 and fake.charged() == {payment_id: 4200}

    async def test_it_can_be_scripted_to_decline_hang_and_fail_refunds(self) -> None:
        fake = FakeCardProvider(decline_next=1, fail_refunds=1)
        assert not (await fake.charge(_id(), "tok_success", 1)).approved
        fake.hang_next = 1
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(fake.charge(_id(), "tok_success", 1), 0.05)
        assert (await fake.charge(_id(), "tok_success", 1)).approved
        with pytest.raises(ConnectionError):
            await fake.refund(_id(), _id(), 1)
        assert await fake.refund(_id(), _id(), 1)
