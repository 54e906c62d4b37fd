"""/metrics behind BOXOFFICE_METRICS_TOKEN, and production refusing an open /metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from boxoffice import cli
from boxoffice.bootstrap import Runtime, create_app
from boxoffice.kernel.config import Settings


def _metrics(settings: Settings, headers: dict[str, str] | None = None) -> httpx.Response:
    app = create_app(Runtime(settings))  # no lifespan: /metrics needs no connection

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://box") as client:
            return await client.get("/metrics", headers=headers or {})

    return asyncio.run(get())


def test_metrics_are_open_when_no_token_is_set(tmp_path: Path) -> None:
    r = _metrics(Settings(var_dir=tmp_path))
    assert r.status_code == 200 and "boxoffice_http_requests_total" in r.text


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", "bearer s3cret-token", "s3cret-token"]
)
def test_metrics_without_the_token_are_refused_with_a_problem(
    tmp_path: Path, header: str | None
) -> None:
    settings = Settings(var_dir=tmp_path, metrics_token="s3cret-token")
    r = _metrics(settings, {"Authorization": header} if header else None)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["title"] == "Unauthorized"
    assert "boxoffice_" not in r.text and "s3cret-token" not in r.text


def test_metrics_with_the_token_are_served(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, metrics_token="s3cret-token")
    r = _metrics(settings, {"Authorization": "Bearer s3cret-token"})
    assert r.status_code == 200 and "boxoffice_http_requests_total" in r.text


def test_production_refuses_to_start_with_metrics_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOXOFFICE_ENV", "production")
    monkeypatch.setenv("BOXOFFICE_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("BOXOFFICE_METRICS_TOKEN", raising=False)
    for argv in (["up", "--port", "1"], ["serve", "catalog"]):
        assert cli.main(argv) == 2  # before any embedded server or migration starts
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "BOXOFFICE_METRICS_TOKEN" in err, err
    assert not (tmp_path / "pg").exists()
    with pytest.raises(RuntimeError, match="BOXOFFICE_METRICS_TOKEN"):
        create_app(Runtime(Settings(var_dir=tmp_path)))

    monkeypatch.setenv("BOXOFFICE_METRICS_TOKEN", "s3cret-token")
    assert Settings().production_refusals() == []
    assert Settings(env="development", metrics_token="").production_refusals() == []
