"""Passwords (argon2id) and access tokens (EdDSA JWTs) verified with the public key only."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from boxoffice.kernel import auth
from boxoffice.kernel.auth import (
    Principal,
    TokenIssuer,
    TokenVerifier,
    ensure_keypair,
    hash_password,
    hash_token,
    new_refresh_token,
    verify_password,
)
from boxoffice.kernel.errors import Unauthorized

ISSUER = "boxoffice-test"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "private.pem", folder / "public.pem"
    ensure_keypair(private, public)
    return private.read_bytes(), public.read_bytes()


@pytest.fixture
def issuer(keys: tuple[bytes, bytes]) -> TokenIssuer:
    return TokenIssuer(keys[0], keys[1], ISSUER, ttl=300)


@pytest.fixture
def verifier(keys: tuple[bytes, bytes]) -> TokenVerifier:
    return TokenVerifier(keys[1], ISSUER)


class FrozenTime:
    """Stands in for the time module inside kernel.auth."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FrozenTime]:
    frozen = FrozenTime(time.time())
    monkeypatch.setattr(auth, "time", frozen)
    yield frozen


def test_a_password_verifies_against_its_argon2id_hash() -> None:
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse battery staple")


def test_a_wrong_password_does_not_verify() -> None:
    hashed = hash_password("correct horse battery staple")
    assert not verify_password(hashed, "correct horse battery stapler")
    assert not verify_password(hashed, "")


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password("same") != hash_password("same")


@pytest.mark.parametrize("broken", ["", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$xx$yy"])
def test_a_broken_stored_hash_verifies_nothing(broken: str) -> None:
    assert verify_password(broken, "anything") is False


def test_a_refresh_token_is_stored_only_as_its_sha256() -> None:
    token, stored = new_refresh_token()
    assert len(token) >= 40
    assert stored == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert new_refresh_token()[0] != token


def test_the_key_pair_is_made_once_and_the_private_key_is_private(tmp_path: Path) -> None:
    private, public = tmp_path / "k" / "private.pem", tmp_path / "k" / "public.pem"
    ensure_keypair(private, public)
    first = private.read_bytes(), public.read_bytes()
    assert private.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in first[0]
    assert b"PUBLIC KEY" in first[1]
    ensure_keypair(private, public)
    assert (private.read_bytes(), public.read_bytes()) == first


def test_an_issued_token_verifies_to_its_principal(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    user = uuid.uuid4()
    token = issuer.issue(user, ["organizer", "customer"], "o@example.com")
    principal = verifier.verify(token)
    assert principal == Principal(user, frozenset({"customer", "organizer"}), "o@example.com")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert claims["roles"] == ["customer", "organizer"]
    assert claims["iss"] == ISSUER
    assert claims["exp"] - claims["iat"] == 300


def test_two_tokens_for_the_same_user_differ(issuer: TokenIssuer) -> None:
    user = uuid.uuid4()
    assert issuer.issue(user, ["customer"], "") != issuer.issue(user, ["customer"], "")


def test_an_expired_token_is_unauthorized(keys: tuple[bytes, bytes]) -> None:
    stale = TokenIssuer(keys[0], keys[1], ISSUER, ttl=-1)
    token = stale.issue(uuid.uuid4(), ["customer"], "")
    with pytest.raises(Unauthorized, match="invalid or has expired"):
        stale.verify(token)


def test_a_cached_token_stops_verifying_when_it_expires(
    issuer: TokenIssuer, clock: FrozenTime
) -> None:
    token = issuer.issue(uuid.uuid4(), ["customer"], "")
    assert issuer.verify(token).roles == {"customer"}
    clock.now += 299
    assert issuer.verify(token).roles == {"customer"}
    clock.now += 2
    with pytest.raises(Unauthorized):
        issuer.verify(token)


def _tamper_claims(token: str, **changes: object) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{signature}"


def test_a_token_with_edited_claims_is_unauthorized(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.issue(uuid.uuid4(), ["customer"], "c@example.com")
    forged = _tamper_claims(token, roles=["admin"])
    with pytest.raises(Unauthorized):
        verifier.verify(forged)
    assert verifier.verify(token).roles == {"customer"}


def test_a_token_with_a_flipped_signature_byte_is_unauthorized(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    token = issuer.issue(uuid.uuid4(), ["customer"], "")
    head, _, last = token.rpartition(".")
    flipped = last[:10] + ("A" if last[10] != "A" else "B") + last[11:]
    with pytest.raises(Unauthorized):
        verifier.verify(f"{head}.{flipped}")


def test_a_token_from_another_issuer_is_unauthorized(keys: tuple[bytes, bytes]) -> None:
    other = TokenIssuer(keys[0], keys[1], "someone-else", ttl=300)
    token = other.issue(uuid.uuid4(), ["admin"], "")
    with pytest.raises(Unauthorized):
        TokenVerifier(keys[1], ISSUER).verify(token)


def test_a_token_signed_by_another_key_is_unauthorized(
    tmp_path: Path, verifier: TokenVerifier
) -> None:
    ensure_keypair(tmp_path / "p.pem", tmp_path / "q.pem")
    rogue = TokenIssuer(
        (tmp_path / "p.pem").read_bytes(), (tmp_path / "q.pem").read_bytes(), ISSUER, 300
    )
    with pytest.raises(Unauthorized):
        verifier.verify(rogue.issue(uuid.uuid4(), ["admin"], ""))


def test_unsigned_and_symmetric_tokens_are_unauthorized(
    keys: tuple[bytes, bytes], verifier: TokenVerifier
) -> None:
    claims = {"sub": str(uuid.uuid4()), "iss": ISSUER, "exp": int(time.time()) + 300}
    unsigned = jwt.encode(claims, "", algorithm="none")
    with pytest.raises(Unauthorized):
        verifier.verify(unsigned)
    # Algorithm confusion: an HMAC keyed with the (public) verification key.
    public_der = serialization.load_pem_public_key(keys[1]).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    hmac_token = jwt.encode(claims, public_der + b"0" * 32, algorithm="HS256")
    with pytest.raises(Unauthorized):
        verifier.verify(hmac_token)


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": ISSUER, "exp": 4_000_000_000},  # no subject
        {"sub": str(uuid.uuid4()), "iss": ISSUER},  # no expiry
        {"sub": "not-a-uuid", "iss": ISSUER, "exp": 4_000_000_000},
    ],
)
def test_a_token_missing_or_garbling_required_claims_is_unauthorized(
    keys: tuple[bytes, bytes], verifier: TokenVerifier, claims: dict[str, object]
) -> None:
    private = serialization.load_pem_private_key(keys[0], password=None)
    token = jwt.encode(claims, private, algorithm="EdDSA")  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        verifier.verify(token)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_unauthorized(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(Unauthorized) as err:
        verifier.verify(garbage)
    assert err.value.status == 401


def test_principal_roles() -> None:
    admin = Principal(uuid.uuid4(), frozenset({"admin", "customer"}))
    customer = Principal(uuid.uuid4(), frozenset({"customer"}))
    assert admin.is_admin
    assert not customer.is_admin
    assert customer.has("organizer", "customer")
    assert not customer.has("organizer", "staff")
    assert not customer.has()
    assert admin.has("admin")
