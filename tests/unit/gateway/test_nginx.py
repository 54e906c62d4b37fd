"""The generated gateway configuration is valid nginx and routes every public API path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from boxoffice.gateway.nginx import AUTH_PATHS, ROUTES, GatewayConfig, render
from boxoffice.kernel.admin import dead_letter_router
from boxoffice.kernel.config import Settings
from boxoffice.kernel.edge import SECURITY_HEADERS
from boxoffice.services import NAMES, SERVICES


def config(tmp_path: Path) -> str:
    (tmp_path / "tmp").mkdir()
    return render(
        GatewayConfig(
            port=18000,
            upstreams={name: [18001, 18002] for name in NAMES},
            web_dir=tmp_path,
            openapi_file=tmp_path / "openapi.json",
            prefix=tmp_path,
        )
    )


@pytest.mark.skipif(
    shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
    reason="nginx is not installed (apt-get install nginx)",
)
def test_generated_config_passes_nginx_syntax_check(tmp_path: Path) -> None:
    conf = tmp_path / "nginx.conf"
    conf.write_text(config(tmp_path))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _service_for(path: str) -> str | None:
    """Where nginx sends `path`: an exact location, else the first regex location that
    matches (in the order of the generated server block), else the longest prefix."""
    exact = {"/api/v1/live": "booking"}
    if path in exact:
        return exact[path]
    regexes = [
        (f"~ ^{AUTH_PATHS}$", "identity"),
        ("~ ^/api/v1/shows/[^/]+/(seats|queue)/stream$", "inventory"),
        ("~ ^/api/v1/shows/[^/]+/holds$", "inventory"),
        *((where, service) for where, service in ROUTES if where.startswith("~")),
    ]
    for where, service in regexes:
        if _matches(where, path):
            return service
    prefixes = [(w, s) for w, s in ROUTES if not w.startswith("~") and path.startswith(w)]
    return max(prefixes, key=lambda p: len(p[0]))[1] if prefixes else None


def test_every_public_route_reaches_the_service_that_serves_it() -> None:
    for spec in SERVICES:
        routers = [spec.router, dead_letter_router(spec.name)]
        for route in (route for router in routers for route in router.routes):
            path = "/api/v1" + route.path  # type: ignore[attr-defined]
            assert _service_for(path) == spec.name, f"{spec.name} route {path} goes elsewhere"


def test_routes_send_seat_hold_and_queue_paths_to_inventory() -> None:
    services = dict(ROUTES)
    assert (
        services["~ ^/api/v1/shows/[^/]+/(seats|holds|queue|waiting-room|waitlist)"] == "inventory"
    )
    assert services["/api/v1/shows"] == "catalog"


def _matches(location: str, path: str) -> bool:
    import re

    sample = re.sub(r"\{[^}]+\}", "x", path)
    return re.search(location.removeprefix("~ ").strip(), sample) is not None


def _block(conf: str, location: str) -> str:
    start = conf.index(f"location {location} {{")
    return conf[start : conf.index("}", start)]


def test_internal_api_is_not_routed(tmp_path: Path) -> None:
    internal = _block(config(tmp_path), "/internal/")
    assert "return 404" in internal
    assert "proxy_pass" not in internal


def test_nginx_limits_bodies_like_the_app_and_answers_413_with_a_problem(tmp_path: Path) -> None:
    conf = config(tmp_path)
    limit = Settings().max_request_body_bytes
    assert f"client_max_body_size {limit};" in conf
    assert "error_page 413 = @too_large;" in conf
    too_large = _block(conf, "@too_large")
    assert "default_type application/problem+json;" in too_large
    assert "tag:boxoffice.example,2025:problem:request-too-large" in too_large


def test_files_nginx_serves_itself_carry_the_security_headers(tmp_path: Path) -> None:
    conf = config(tmp_path)
    for location in (
        "/",
        "= /openapi.json",
        "/api/",
        "= /.gateway/bad-request",
        "@too_large",
        "@too_many",
        "@unavailable",
    ):
        block = _block(conf, location)
        for name, value in SECURITY_HEADERS:
            assert f'add_header {name} "{value}" always;' in block, (location, name)


def test_nginx_asks_clients_to_retry_its_429_and_503(tmp_path: Path) -> None:
    conf = config(tmp_path)
    for location in ("@too_many", "@unavailable"):
        assert 'add_header Retry-After "1" always;' in _block(conf, location)


def test_services_behind_the_gateway_learn_the_client_address_from_it(tmp_path: Path) -> None:
    conf = config(tmp_path)
    # Set by nginx on every proxied request, so a client's own X-Real-IP never gets through.
    assert "proxy_set_header X-Real-IP $remote_addr;" in conf


def test_every_endpoint_that_checks_passwords_is_behind_the_auth_flood_guard() -> None:
    import re

    for path in ("login", "register", "refresh"):
        assert re.fullmatch(AUTH_PATHS, f"/api/v1/auth/{path}")
    assert re.fullmatch(AUTH_PATHS, "/api/v1/users/me/password")
    assert not re.fullmatch(AUTH_PATHS, "/api/v1/auth/logout")
