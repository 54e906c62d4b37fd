"""Errors become RFC 9457 problem documents, in one place, for every kind of failure."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Annotated

import nats.errors
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from redis import exceptions as redis_exc
from sqlalchemy import exc as sa_exc
from starlette.exceptions import StarletteDeprecationWarning

from boxoffice.inventory.domain import SeatsTaken
from boxoffice.kernel.errors import DomainError, NotFound, TooManyRequests, Unauthorized
from boxoffice.kernel.problems import PROBLEM, TYPE_BASE, install_problem_handlers

# Starlette warns while importing its TestClient when only httpx (not httpx2) is installed;
# the client works the same, and the warning is about our dependency set, not this code.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


class PgError(Exception):
    """What SQLAlchemy's asyncpg adapter wraps: an error with the server's SQLSTATE."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"error {sqlstate}")
        self.sqlstate = sqlstate


class ItemIn(BaseModel):
    name: Annotated[str, Field(min_length=1)]
    quantity: Annotated[int, Field(ge=1, le=10)]


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/seats/{seat_id}")
    def taken(seat_id: int) -> dict[str, int]:
        raise SeatsTaken("Already taken: A1.", seat_ids=[seat_id], seats=["A1"])

    @app.get("/gone")
    def gone() -> None:
        raise NotFound("No such thing.")

    @app.get("/private")
    def private() -> None:
        raise Unauthorized("Log in first.")

    @app.get("/busy")
    def busy() -> None:
        raise TooManyRequests("Slow down.", retry_after=3)

    @app.get("/plain")
    def plain() -> None:
        raise DomainError("Something about the request is wrong.")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/no-connections")
    def no_connections() -> None:
        raise sa_exc.OperationalError("connect", {}, Exception("too many clients already"))

    @app.get("/db/{sqlstate}")
    def database(sqlstate: str) -> None:
        raise sa_exc.DBAPIError("SELECT $1", {"secret": "card-4242"}, PgError(sqlstate))

    @app.get("/refused")
    def refused() -> None:
        # what asyncpg's connect raises, unwrapped by SQLAlchemy, when PostgreSQL is down
        raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")

    @app.get("/pool-timeout")
    def pool_timeout() -> None:
        raise sa_exc.TimeoutError("QueuePool limit of size 10 overflow 0 reached")

    @app.get("/redis/{kind}")
    def redis_down(kind: str) -> None:
        errors = {
            "connection": redis_exc.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
            "timeout": redis_exc.TimeoutError("Timeout reading from socket"),
            "loading": redis_exc.BusyLoadingError("Redis is loading the dataset in memory"),
        }
        raise errors[kind]

    @app.get("/nats")
    def nats_down() -> None:
        raise nats.errors.NoServersError()

    @app.post("/items", status_code=201)
    def create(item: ItemIn) -> ItemIn:
        return item

    return app


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        yield c


def test_a_domain_error_is_a_problem_document_with_its_extras(client: TestClient) -> None:
    r = client.get("/seats/7")
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    assert r.json() == {
        "type": "tag:boxoffice.example,2025:problem:seats-taken",
        "title": "Seats taken",
        "status": 409,
        "detail": "Already taken: A1.",
        "instance": "/seats/7",
        "seat_ids": [7],
        "seats": ["A1"],
    }


@pytest.mark.parametrize(
    ("path", "status", "title", "detail"),
    [
        ("/gone", 404, "Not found", "No such thing."),
        ("/busy", 429, "Too many requests", "Slow down."),
        ("/plain", 400, "Bad request", "Something about the request is wrong."),
    ],
)
def test_domain_error_classes_map_to_their_status(
    client: TestClient, path: str, status: int, title: str, detail: str
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert (body["status"], body["title"], body["detail"]) == (status, title, detail)


def test_unauthorized_asks_for_a_bearer_token(client: TestClient) -> None:
    r = client.get("/private")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["detail"] == "Log in first."


def test_a_request_with_invalid_fields_is_422_naming_each_field(client: TestClient) -> None:
    r = client.post("/items", json={"name": "", "quantity": 11})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["title"] == "Invalid request"
    assert body["status"] == 422
    assert body["instance"] == "/items"
    assert sorted(e["field"] for e in body["errors"]) == ["body.name", "body.quantity"]
    assert all(e["message"] and e["type"] for e in body["errors"])


def test_a_missing_body_and_a_bad_path_parameter_are_422(client: TestClient) -> None:
    missing = client.post("/items")
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["body"]
    bad_path = client.get("/seats/abc")
    assert bad_path.status_code == 422
    assert [e["field"] for e in bad_path.json()["errors"]] == ["path.seat_id"]


def test_a_valid_request_is_not_a_problem(client: TestClient) -> None:
    r = client.post("/items", json={"name": "ticket", "quantity": 2})
    assert r.status_code == 201
    assert r.json() == {"name": "ticket", "quantity": 2}


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    r = client.get("/no/such/route")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["title"] == "Not found"
    assert r.json()["instance"] == "/no/such/route"


def test_a_wrong_method_is_a_405_problem_that_says_which_methods_are_allowed(
    client: TestClient,
) -> None:
    r = client.delete("/gone")
    assert r.status_code == 405
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["title"] == "Method not allowed"
    assert r.json()["type"] == TYPE_BASE + "method-not-allowed"
    assert r.headers["allow"] == "GET"


def test_a_405_names_the_methods_of_every_route_of_the_path() -> None:
    app = make_app()
    app.get("/items")(lambda: [])
    with TestClient(app) as c:
        r = c.delete("/items")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"


def test_each_problem_kind_has_a_type_uri_of_its_own(client: TestClient) -> None:
    assert client.get("/gone").json()["type"] == TYPE_BASE + "not-found"
    assert client.get("/busy").json()["type"] == TYPE_BASE + "too-many-requests"
    assert client.get("/plain").json()["type"] == TYPE_BASE + "bad-request"
    assert client.post("/items", json={}).json()["type"] == TYPE_BASE + "invalid-request"
    assert client.get("/no/such/route").json()["type"] == TYPE_BASE + "not-found"
    assert client.get("/boom").json()["type"] == TYPE_BASE + "internal-error"


def test_a_body_json_cannot_decode_is_a_422_like_any_invalid_json(client: TestClient) -> None:
    not_utf8 = client.post("/items", content=b'{"name": "\xff\xfe"}', headers=JSON)
    assert not_utf8.status_code == 422, not_utf8.text
    assert not_utf8.headers["content-type"] == PROBLEM
    huge_number = client.post("/items", content=b'{"quantity": ' + b"9" * 5000 + b"}", headers=JSON)
    assert huge_number.status_code == 422
    assert [e["field"] for e in huge_number.json()["errors"]] == ["body"]


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("sqlstate", "status", "kind"),
    [
        ("22021", 422, "invalid-data"),  # a NUL byte in text
        ("22003", 422, "invalid-data"),  # numeric value out of range
        ("22008", 422, "invalid-data"),  # datetime field overflow
        ("23505", 409, "conflict"),  # unique violation
        ("23503", 409, "conflict"),  # foreign key violation
        ("55P03", 503, "service-unavailable"),  # lock timeout
        ("57014", 503, "service-unavailable"),  # statement timeout
        ("40001", 503, "service-unavailable"),  # serialization failure
        ("40P01", 503, "service-unavailable"),  # deadlock
        ("08006", 503, "service-unavailable"),  # connection failure
        ("57P01", 503, "service-unavailable"),  # the server is shutting down
        ("53300", 503, "service-unavailable"),  # too many connections
    ],
)
def test_database_errors_map_to_the_status_of_their_sqlstate(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    sqlstate: str,
    status: int,
    kind: str,
) -> None:
    r = client.get(f"/db/{sqlstate}")
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == TYPE_BASE + kind
    assert "card-4242" not in r.text and "SELECT" not in r.text
    assert ("retry-after" in r.headers) == (status == 503)
    assert len(caplog.records) == 1  # one line, without traceback or the statement's values
    record = caplog.records[0]
    assert record.levelname == "WARNING"
    assert record.exc_info is None
    assert sqlstate in record.getMessage()
    assert "card-4242" not in record.getMessage()


@pytest.mark.parametrize(
    "path",
    [
        "/refused",
        "/pool-timeout",
        "/redis/connection",
        "/redis/timeout",
        "/redis/loading",
        "/nats",
        "/no-connections",
    ],
)
def test_an_unreachable_store_is_a_503_to_retry_logged_as_one_warning(
    client: TestClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    r = client.get(path)
    assert r.status_code == 503
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["retry-after"] == "1"
    assert r.json()["type"] == TYPE_BASE + "service-unavailable"
    assert [(rec.levelname, rec.exc_info) for rec in caplog.records] == [("WARNING", None)]
    assert "store unavailable" in caplog.records[0].getMessage()


def test_an_unexpected_error_is_a_500_problem_that_hides_the_internals(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    r = client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["title"] == "Internal error"
    assert "secret internals" not in r.text
    assert "unhandled error on GET /boom" in caplog.text


def test_a_database_out_of_connections_is_a_503_problem_to_retry(client: TestClient) -> None:
    r = client.get("/no-connections")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Service unavailable"
    assert "too many clients" not in r.text


def test_an_unknown_database_error_is_still_a_500(client: TestClient) -> None:
    assert client.get("/db/42P01").status_code == 500  # undefined table: a bug, not input
