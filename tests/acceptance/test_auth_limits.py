"""The auth rate limits over HTTP, in both shapes, on servers of their own with tight limits: a
burst of wrong passwords gets 429 problem+json with Retry-After and locks only that account;
each client address has its own budget, and no client picks its address with X-Real-IP.

Clients connect from loopback addresses of their own (127.x.y.z), as different people would:
the app sees them directly in the all-in-one shape and through nginx's X-Real-IP in the
distributed one. Random addresses and emails keep runs sharing one Redis apart."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.acceptance.checks import problem
from tests.conftest import ADMIN, SHAPES, Infra, Server, start_server, stop_server

pytestmark = pytest.mark.own_server

PASSWORD = "a-good-password"
PER_CLIENT = 6
FAILURES = 3


@pytest.fixture(scope="module", params=SHAPES)
def tight(
    request: pytest.FixtureRequest, infra: Infra, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    server = start_server(
        infra,
        tmp_path_factory.mktemp("tight"),
        request.param,
        auth_limit_per_client=str(PER_CLIENT),
        auth_failures_per_account=str(FAILURES),
        admin_email=ADMIN[0],
        admin_password=ADMIN[1],
    )
    yield server
    stop_server(server)


def address() -> str:
    """A loopback address no other run is likely to use."""
    return ".".join(
        ("127", *(str(random.randint(lo, hi)) for lo, hi in ((1, 254), (0, 255), (1, 254))))
    )


def client(server: Server, source: str | None = None) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source or address())
    return httpx.Client(base_url=server.api, transport=transport, timeout=30)


def new_user(server: Server) -> str:
    email = f"l{uuid.uuid4().hex[:12]}@boxoffice.example"
    with client(server) as admin:
        login = admin.post("/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        assert login.status_code == 200, login.text
        made = admin.post(
            "/admin/users",
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            json={"email": email, "password": PASSWORD, "name": "Limited"},
        )
        assert made.status_code == 201, made.text
    return email


def login(c: httpx.Client, email: str, password: str = PASSWORD, **kw: str) -> httpx.Response:
    return c.post("/auth/login", json={"email": email, "password": password}, headers=kw)


def too_many(response: httpx.Response) -> dict[str, object]:
    body = problem(response, 429)
    assert int(response.headers["retry-after"]) >= 1
    return body


def test_a_burst_of_wrong_passwords_gets_429_and_locks_only_that_account(tight: Server) -> None:
    victim, bystander = new_user(tight), new_user(tight)
    with client(tight) as guesser:
        for i in range(FAILURES):
            problem(login(guesser, victim, f"guess-{i}"), 401)
        locked = too_many(login(guesser, victim, "guess-again"))
        assert locked["title"] == "Too many attempts"
        assert "for this account" in str(locked["detail"])
        assert 800 < int(str(locked["retry_after"])) <= 900  # the 15-minute window
        too_many(login(guesser, victim))  # the right password is no way in either
    with client(tight) as elsewhere:
        too_many(login(elsewhere, victim))  # per account, from any address
        assert login(elsewhere, bystander).status_code == 200


def test_one_wrong_password_between_right_ones_locks_nobody_out(tight: Server) -> None:
    email = new_user(tight)
    with client(tight) as c:
        assert login(c, email).status_code == 200
        problem(login(c, email, "a-typo"), 401)
        for _ in range(PER_CLIENT - 2):
            assert login(c, email).status_code == 200


def test_each_client_address_has_its_own_budget_that_x_real_ip_cannot_change(
    tight: Server,
) -> None:
    email = new_user(tight)
    with client(tight) as busy:
        first = login(busy, email)
        assert first.status_code == 200, first.text
        registered = busy.post(
            "/auth/register",
            json={
                "email": f"n{uuid.uuid4().hex[:10]}@boxoffice.example",
                "password": PASSWORD,
                "name": "New",
            },
        )
        assert registered.status_code == 201, registered.text
        for _ in range(PER_CLIENT - 2):
            assert login(busy, email, **{"X-Real-IP": address()}).status_code == 200
        refused = too_many(login(busy, email, **{"X-Real-IP": address()}))
        assert "your address" in str(refused["detail"])
        too_many(busy.post("/auth/refresh", json={"refresh_token": first.json()["refresh_token"]}))
    with client(tight) as other:
        assert login(other, email).status_code == 200


def test_wrong_current_passwords_are_limited_like_wrong_logins(tight: Server) -> None:
    email = new_user(tight)
    with client(tight) as c:
        token = login(c, email).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        change = {"current_password": "not-it", "new_password": "a-better-password"}
        for _ in range(FAILURES):
            problem(c.post("/users/me/password", json=change, headers=headers), 422)
        right = {**change, "current_password": PASSWORD}
        too_many(c.post("/users/me/password", json=right, headers=headers))
    with client(tight) as elsewhere:
        too_many(login(elsewhere, email))
