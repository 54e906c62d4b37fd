"""The generated gateway configuration is valid nginx and routes every public API path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from boxoffice.bootstrap import ROUTERS
from boxoffice.gateway.nginx import AUTH_PATHS, ROUTES, GatewayConfig, render


def config(tmp_path: Path) -> str:
    (tmp_path / "tmp").mkdir()
    return render(
        GatewayConfig(
            port=18000,
            upstreams={name: [18001, 18002] for name in ROUTERS},
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


def test_every_public_route_has_a_gateway_location() -> None:
    prefixes = [where for where, _ in ROUTES if not where.startswith("~")]
    regexes = [where for where, _ in ROUTES if where.startswith("~")]
    for name, router in ROUTERS.items():
        for route in router.routes:
            path = "/api/v1" + route.path  # type: ignore[attr-defined]
            routed = any(path.startswith(p) for p in prefixes) or any(
                _matches(r, path) for r in regexes
            )
            assert routed, f"{name} route {path} is not routed by the gateway"


def test_routes_send_seat_and_hold_paths_to_inventory() -> None:
    services = dict(ROUTES)
    assert services["~ ^/api/v1/shows/[^/]+/(seats|holds)"] == "inventory"
    assert services["/api/v1/shows"] == "catalog"


def _matches(location: str, path: str) -> bool:
    import re

    sample = re.sub(r"\{[^}]+\}", "x", path)
    return re.search(location.removeprefix("~ ").strip(), sample) is not None


def test_internal_api_is_not_routed(tmp_path: Path) -> None:
    assert "location /internal/ { return 404; }" in config(tmp_path)


def test_services_behind_the_gateway_learn_the_client_address_from_it(tmp_path: Path) -> None:
    conf = config(tmp_path)
    # Set by nginx on every proxied request, so a client's own X-Real-IP never gets through.
    assert "proxy_set_header X-Real-IP $remote_addr;" in conf
    assert "add_header Retry-After 1 always;" in conf


def test_every_endpoint_that_checks_passwords_is_behind_the_auth_flood_guard() -> None:
    import re

    for path in ("login", "register", "refresh"):
        assert re.fullmatch(AUTH_PATHS, f"/api/v1/auth/{path}")
    assert re.fullmatch(AUTH_PATHS, "/api/v1/users/me/password")
    assert not re.fullmatch(AUTH_PATHS, "/api/v1/auth/logout")
