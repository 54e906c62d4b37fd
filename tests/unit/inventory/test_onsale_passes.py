"""Admission passes and join challenges: what verifies, and why each forgery is refused."""

from __future__ import annotations

import uuid

import pytest

from boxoffice.inventory.onsale import (
    AdmissionRequired,
    ChallengeFailed,
    Pass,
    Signer,
    solve,
    solves,
)

SHOW, OTHER_SHOW = uuid.uuid4(), uuid.uuid4()
USER, OTHER_USER = uuid.uuid4(), uuid.uuid4()
NOW = 1_800_000_000.0


def reason(
    signer: Signer, token: str | None, show: uuid.UUID = SHOW, user: uuid.UUID = USER
) -> str:
    with pytest.raises(AdmissionRequired) as refused:
        signer.check_pass(token, show, user, NOW)
    assert refused.value.status == 403 and refused.value.slug == "admission-required"
    assert refused.value.extra["queue"] == f"/api/v1/shows/{show}/queue"
    return str(refused.value.extra["reason"])


def test_a_pass_admits_its_customer_to_its_show_until_it_expires() -> None:
    signer = Signer(b"k" * 32)
    token = signer.issue_pass(Pass(SHOW, USER, "entry", int(NOW) + 60))
    checked = signer.check_pass(token, SHOW, USER, NOW)
    assert checked == Pass(SHOW, USER, "entry", int(NOW) + 60)
    assert reason(signer, token, user=OTHER_USER) == "other-customer"
    assert reason(signer, token, show=OTHER_SHOW) == "other-show"
    with pytest.raises(AdmissionRequired, match="expired"):
        signer.check_pass(token, SHOW, USER, NOW + 60)


def test_forged_altered_and_foreign_passes_are_refused() -> None:
    signer = Signer(b"k" * 32)
    token = signer.issue_pass(Pass(SHOW, USER, "entry", int(NOW) + 60))
    body, mac = token.split(".")
    assert reason(signer, None) == "missing"
    assert reason(signer, "") == "missing"
    assert reason(signer, f"{body}.{mac[:-2]}AA") == "invalid"  # the signature altered
    # the same body for another customer, signed with a key of one's own
    mallory = Signer(b"m" * 32).issue_pass(Pass(SHOW, USER, "entry", int(NOW) + 10_000))
    assert reason(signer, mallory) == "invalid"
    assert reason(signer, "not-a-pass") == "invalid"
    assert reason(signer, "%%%.%%%") == "invalid"
    assert reason(signer, "x" * 5000) == "invalid"


def test_a_challenge_is_solved_by_work_and_bound_to_its_customer_and_show() -> None:
    signer = Signer(b"k" * 32)
    challenge = signer.challenge(SHOW, USER, 8, NOW)
    solution = solve(challenge, 8)
    assert solves(challenge, solution, 8)
    signer.check_solution(challenge, solution, SHOW, USER, NOW)
    wrong = next(str(n) for n in range(10_000) if not solves(challenge, str(n), 8))
    with pytest.raises(ChallengeFailed, match="does not solve"):
        signer.check_solution(challenge, wrong, SHOW, USER, NOW)
    with pytest.raises(ChallengeFailed, match="not issued to you"):
        signer.check_solution(challenge, solution, SHOW, OTHER_USER, NOW)
    with pytest.raises(ChallengeFailed, match="not issued to you"):
        signer.check_solution(challenge, solution, OTHER_SHOW, USER, NOW)
    with pytest.raises(ChallengeFailed, match="expired"):
        signer.check_solution(challenge, solution, SHOW, USER, NOW + 301)
    with pytest.raises(ChallengeFailed, match="not issued to you"):
        signer.check_solution(challenge + "x", solution, SHOW, USER, NOW)
