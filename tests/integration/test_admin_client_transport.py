"""TenantClient below HTTP: refused connections, silent servers and TLS trust, for real."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.admin import TenantClient
from qlik_jwt.errors import ConfigurationError, TenantUnreachableError
from tests.support.servers import ServerThread, free_port


async def tiny_tenant(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers every request with ``{"tenantId": "t1"}``: enough to prove TLS works."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"tenantId": "t1"}'})


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory, rsa_key: rsa.RSAPrivateKey) -> Path:
    directory = tmp_path_factory.mktemp("tls")
    cert = keys.self_signed_certificate(
        rsa_key, common_name="127.0.0.1", ip_addresses=("127.0.0.1",)
    )
    keys.write_key_pair(directory, rsa_key, cert)
    return directory


@pytest.mark.timeout(10)
def test_a_refused_connection_is_unreachable_with_a_fix() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        TenantClient(url, api_key="admin-key") as client,
        pytest.raises(TenantUnreachableError) as caught,
    ):
        client.get("/api/v1/users/me")
    assert caught.value.url == f"{url}/api/v1/users/me"
    assert "connection failed" in caught.value.reason
    assert "QLIK_TENANT_URL" in caught.value.fix
    assert "admin-key" not in str(caught.value)


@pytest.mark.timeout(10)
def test_a_silent_server_is_unreachable_after_the_timeout(silent_server: str) -> None:
    with (
        TenantClient(silent_server, api_key="k", timeout=0.3) as client,
        pytest.raises(TenantUnreachableError) as caught,
    ):
        client.get("/api/v1/identity-providers")
    assert caught.value.reason == "no answer within 0.3 s"


@pytest.mark.timeout(30)
def test_an_untrusted_certificate_is_named_and_a_trusted_one_works(tls_files: Path) -> None:
    with ServerThread(
        tiny_tenant,
        certfile=tls_files / "certificate.pem",
        keyfile=tls_files / "private.pem",
    ) as server:
        with (
            TenantClient(server.url, api_key="k") as client,
            pytest.raises(TenantUnreachableError) as caught,
        ):
            client.get("/api/v1/users/me")
        assert "certificate" in caught.value.reason
        assert "QLIK_TENANT_CA_FILE" in caught.value.fix
        trusted = str(tls_files / "certificate.pem")
        with TenantClient(server.url, api_key="k", verify=trusted) as client:
            assert client.tenant_id() == "t1"


def test_a_missing_ca_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TenantClient("https://t.example.com", api_key="k", verify=str(tmp_path / "none.pem"))
    assert caught.value.field == "tenant_ca_file"
