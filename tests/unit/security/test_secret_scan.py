"""The detectors of the run-wide secret scan: what they flag, what they leave, what they show."""

from __future__ import annotations

import json
import secrets

from tests.support.secret_scan import SecretScan, mask

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHB8NDIifQ." + "s1gnaturE-_" * 20


def kinds(text: str, known: SecretScan | None = None) -> list[str]:
    """What a scan knowing ``known``'s secrets finds in ``text`` alone."""
    scan = SecretScan()
    scan.secrets = set(known.secrets) if known else set()
    scan.record("test", text)
    return [finding.kind for finding in scan.findings()]


def test_a_whole_jwt_and_a_private_key_are_flagged_by_shape() -> None:
    assert kinds(f"minted {JWT} for ada") == ["whole JWT"]
    assert kinds("key: -----BEGIN PRIVATE KEY-----MIIEv...") == ["private key PEM"]
    assert kinds("-----BEGIN RSA PRIVATE KEY-----") == ["private key PEM"]


def test_secrets_named_in_the_text_are_flagged() -> None:
    value = secrets.token_urlsafe(32)
    for text in (
        f"Cookie: eas.sid={value}; eas.sid.sig=x",
        f"GET /single/?appid=1&qlik-csrf-token={value} 200",
        f"X-CSRF-Token: {value}",
        f'{{"csrfToken":"{value}"}}',
        f"Authorization: Bearer {value}",
        f"qlik-jwt-session={value}",
        f'{{"access_token": "{value}", "token_type": "bearer"}}',
        f"wss://tenant/app/1?accessToken={value}",
        f"client_secret={value}&grant_type=client_credentials",
        f'{{"clientId": "abc", "clientSecret": "{value}"}}',
        f"subject_token: {value}",
    ):
        assert kinds(text) == ["named secret"], text


def test_oauth_secrets_in_bodies_and_the_websocket_query_are_remembered() -> None:
    scan = SecretScan()
    secret, access, exchanged = (secrets.token_hex(32) for _ in range(3))
    scan.harvest_body(json.dumps({"clientId": "x", "clientSecret": secret}).encode())
    scan.harvest_body(f"client_id=x&client_secret={secret}&grant_type=y".encode())
    scan.harvest_body(json.dumps({"access_token": access, "expires_in": 60}).encode())
    scan.harvest_request((), f"accessToken={exchanged}&reloadUri=x".encode())
    scan.harvest_body(b"[" * 100_000)  # a hostile body is no secret and no crash
    assert {secret, access, exchanged} <= scan.secrets
    assert kinds(f"the page logged {access}.", scan) == ["secret value"]


def test_what_the_audit_line_holds_is_not_a_secret() -> None:
    line = json.dumps(
        {
            "event": "token-minted",
            "time": "2026-01-01T00:00:00Z",
            "sub": "demo|ada",
            "groups": ["Finance"],
            "jti": secrets.token_hex(16),
            "exp": 1767225660,
            "client": "127.0.0.1",
        }
    )
    assert kinds(line) == []
    assert kinds("qlik-csrf-token=<redacted> and X-CSRF-Token header is missing") == []
    assert kinds("-----BEGIN CERTIFICATE-----MIIC-----END CERTIFICATE-----") == []
    assert kinds("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.") == []  # no signature: not whole


def test_secrets_handed_out_by_a_server_are_found_verbatim_even_inside_longer_runs() -> None:
    scan = SecretScan()
    cookie, csrf, key = (secrets.token_urlsafe(32) for _ in range(3))
    scan.harvest_response(
        [
            (b"set-cookie", f"eas.sid={cookie}; Path=/; HttpOnly".encode()),
            (b"qlik-csrf-token", csrf.encode()),
            (b"set-cookie", b"eas.rfp.state123456789012345=state123456789012345; Path=/"),
        ]
    )
    scan.harvest_request([(b"authorization", f"Bearer {key}".encode())], b"")
    assert {cookie, csrf, key} <= scan.secrets
    assert "state123456789012345" not in scan.secrets  # public by design: it is in the URL
    assert kinds(f"session {cookie} ended", scan) == ["secret value"]
    assert kinds(f"prefix-{csrf}-suffix", scan) == ["secret value"]
    assert kinds(f"admin used {key[:20]}", scan) == []  # only whole secrets count


def test_findings_never_repeat_the_secret() -> None:
    value = secrets.token_urlsafe(32)
    scan = SecretScan()
    scan.record("log qlik_jwt.web INFO", f"Cookie: qlik-jwt-session={value}")
    (finding,) = scan.findings()
    assert value not in str(finding) and value[:4] in str(finding)
    assert "log qlik_jwt.web INFO" in str(finding)
    assert mask("a\nb SECRETVALUE c", "SECRETVALUE") == "a⏎b SECR… c"


def test_fake_values_tests_send_are_not_taken_for_secrets() -> None:
    scan = SecretScan()
    scan.harvest_request([(b"x-csrf-token", b"x" * 43), (b"cookie", b"s=" + b"ab" * 20)], b"")
    assert scan.secrets == set()
