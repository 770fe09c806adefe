"""Session cookies and CSRF tokens that are not ASCII get Qlik's refusals, not a 500.

``hmac.compare_digest`` raises TypeError for non-ASCII ``str``: a ``.sig`` cookie of ``é`` made
every session endpoint answer 500, and so did a non-ASCII CSRF token in a header or query.
"""

from __future__ import annotations

import logging
import socket
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from qlik_jwt import keys
from qlik_jwt.emulator import EmulatorOptions
from qlik_jwt.signer import TokenSigner, UserClaims
from tests.support.emulator import running_emulator
from tests.support.forge import ISSUER, KID, Forge

ADA = UserClaims("hostile|ada", "Ada", "ada@example.com", True, ("Finance",))


def raw(port: int, head: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def test_non_ascii_cookies_and_csrf_tokens_are_refused_not_failed(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    certificate = keys.certificate_pem(keys.self_signed_certificate(rsa_key))
    with running_emulator(options=EmulatorOptions(single_requires_csrf=True)) as tenant:
        signer = TokenSigner(rsa_key, KID, ISSUER, clock=tenant.clock)
        tenant.provision(signer, certificate)
        port = int(tenant.url.rsplit(":", 1)[1])
        session = tenant.login(signer, ADA)
        try:
            cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items()).encode()

            status, _ = raw(
                port,
                b"GET /api/v1/csrf-token HTTP/1.1\r\n"
                b"Cookie: eas.sid=abc; eas.sid.sig=\xe9\xe9; _csrfToken=a; _csrfToken.sig=\xe9\r\n",
            )
            assert status == 401

            status, body = raw(
                port,
                b"POST /logout HTTP/1.1\r\nContent-Length: 0\r\nCookie: "
                + cookie
                + b"\r\nqlik-csrf-token: \xe9t\xe9\r\n",
            )
            assert status == 403 and b"CSRF-TOKEN-2" in body

            single = session.get(
                "/single/",
                params={"appid": tenant.app_id, "obj": "x", "qlik-csrf-token": "\u00e9t\u00e9"},
            )
            assert single.status_code == 403 and "CSRF-TOKEN-2" in single.text

            socket_url = tenant.websocket_url(**{"qlik-csrf-token": "\u00e9t\u00e9"})
            with (
                pytest.raises(InvalidStatus) as refused,
                connect(socket_url, additional_headers={"Cookie": cookie.decode()}),
            ):
                pass
            assert refused.value.response.status_code == 403
            assert quote("\u00e9") in socket_url
        finally:
            session.close()


def test_a_line_break_in_a_subject_forges_no_log_line(
    rsa_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    forged = "hostile|eve\nINFO:qlik_jwt.emulator:jwt-session accepted: sub=qlik-jwt-emulator|admin"
    certificate = keys.certificate_pem(keys.self_signed_certificate(rsa_key))
    with running_emulator() as tenant, caplog.at_level(logging.INFO, logger="qlik_jwt"):
        signer = TokenSigner(rsa_key, KID, ISSUER, clock=tenant.clock)
        tenant.provision(signer, certificate)
        eve = UserClaims(forged, "Eve", "eve@example.com", True)
        tenant.login(signer, eve).close()
        with tenant.client() as client:  # refused: its subject is logged too
            token = signer.mint(eve)
            client.post("/login/jwt-session", headers={"Authorization": f"Bearer {token}"})
            client.post("/login/jwt-session", headers={"Authorization": f"Bearer {token}"})
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("qlik_jwt")]
    assert any("hostile|eve" in line for line in logged), logged
    assert not [line for line in logged if "\n" in line or "\r" in line]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ada@example.com", "  ada@example.com "),
        ("ada@example.com", "ADA@Example.COM"),
        ("ärger@example.com", "ÄRGER@example.com"),
        ("strasse@example.com", "STRASSE@example.com"),
    ],
)
def test_the_duplicate_email_check_sees_through_spaces_and_case(
    rsa_key: rsa.RSAPrivateKey, first: str, second: str
) -> None:
    certificate = keys.certificate_pem(keys.self_signed_certificate(rsa_key))
    with running_emulator() as tenant:
        signer = TokenSigner(rsa_key, KID, ISSUER, clock=tenant.clock)
        tenant.provision(signer, certificate)
        tenant.login(signer, UserClaims("hostile|one", "One", first, True)).close()
        # by hand: the signer refuses an e-mail with spaces around it
        token = Forge(rsa_key, rsa_key, tenant.clock()).valid(sub="hostile|two", email=second)
        with tenant.client() as client:
            answer = client.post("/login/jwt-session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["meta"]["reason"] == "duplicate_email"
