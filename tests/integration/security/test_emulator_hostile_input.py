"""Session cookies and CSRF tokens that are not ASCII get Qlik's refusals, not a 500.

``hmac.compare_digest`` raises TypeError for non-ASCII ``str``: a ``.sig`` cookie of ``é`` made
every session endpoint answer 500, and so did a non-ASCII CSRF token in a header or query.
"""

from __future__ import annotations

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
from tests.support.forge import ISSUER, KID

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
