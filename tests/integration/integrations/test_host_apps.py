"""Every integration example on a real server (FastAPI under uvicorn, Flask under werkzeug,
Django under uvicorn) against a real emulator: the token endpoint's rules, end to end.

Each test runs once per framework; the clients sign in through the example's own form and
read the page the way the front end does.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from qlik_jwt import jws
from qlik_jwt.embedding.tokens import AUDIT_LOGGER
from tests.support.emulator import RunningEmulator
from tests.support.hosts import HIDDEN, RunningHost, page_bootstrap, sign_in, token_headers
from tests.support.webapp import ADA, EVE, FakeClock

from .conftest import RATE_LIMIT


@contextmanager
def signed_in(host: RunningHost, user=ADA) -> Iterator[tuple[httpx.Client, dict]]:  # type: ignore[no-untyped-def]
    """A client signed in to the host app as ``user``, and the bootstrap of its page."""
    with host.client() as client:
        answer = sign_in(client, user.username, user.password)
        assert answer.status_code in (302, 303), answer.text
        yield client, page_bootstrap(client)


def audit_lines(caplog: pytest.LogCaptureFixture) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == AUDIT_LOGGER]


def test_signed_in_user_gets_a_token_the_tenant_accepts(
    host: RunningHost, emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    with signed_in(host) as (client, bootstrap):
        answer = client.post(bootstrap["tokenUrl"], headers=token_headers(client, bootstrap))
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()["token"]
    claims = jws.decode(token).claims
    assert answer.json()["expiresAt"] == claims["exp"]
    with emulator.client() as tenant:
        login = tenant.post("/login/jwt-session", headers={"Authorization": f"Bearer {token}"})
        assert login.status_code == 200, login.text
        me = tenant.get("/api/v1/users/me", follow_redirects=True).json()
    assert me["subject"] == "demo|ada" and me["name"] == "Ada Lovelace"
    assert [g["name"] for g in me["assignedGroups"]] == ["Finance"]
    # The web app's audit line, and never the token.
    (line,) = audit_lines(caplog)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", line.pop("time"))
    assert line == {
        "event": "token-minted",
        "jti": claims["jti"],
        "sub": "demo|ada",
        "groups": ["Finance"],
        "exp": claims["exp"],
        "via": "token-endpoint",
        "client": "127.0.0.1",
    }
    assert token not in caplog.text


def test_the_page_carries_what_the_front_end_needs(host: RunningHost) -> None:
    with signed_in(host, EVE) as (client, bootstrap):
        page = client.get("/")
        assert page.headers["cache-control"] == "no-store"
        assert '<script type="module" src="/qlik/static/embed.js"></script>' in page.text
        assert '<div class="qlik-embedding">' in page.text and 'id="qlik-iframe"' in page.text
        assert bootstrap["tokenUrl"] == "/qlik/token"
        assert bootstrap["subject"] == "demo|eve"
        assert bootstrap["csrfHeader"] == host.csrf_header and bootstrap["csrfToken"]
        assert bootstrap["qlikSessionLikely"] is False
        client.post(bootstrap["tokenUrl"], headers=token_headers(client, bootstrap))
        # A token was just minted for Eve: her browser probably holds a Qlik session.
        assert page_bootstrap(client)["qlikSessionLikely"] is True


def test_anonymous_gets_401(host: RunningHost, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    with host.client() as client:
        assert client.get("/", follow_redirects=False).status_code in (302, 303)
        # The CSRF token an anonymous visitor can get (the sign-in form's, where it has one),
        # sent as the page would: only the missing sign-in is wrong.
        hidden = HIDDEN.findall(client.get("/sign-in").text)
        form_token = hidden[0][1] if hidden else "no-session-token"
        answer = client.post(
            "/qlik/token",
            headers={
                "Origin": host.url,
                "Sec-Fetch-Site": "same-origin",
                host.csrf_header: form_token,
            },
        )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not-signed-in"
    assert answer.headers["cache-control"] == "no-store"
    assert audit_lines(caplog) == []


def test_cross_site_posts_get_403(host: RunningHost, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=AUDIT_LOGGER)
    with signed_in(host) as (client, bootstrap):
        headers = token_headers(client, bootstrap)
        other_origin = client.post(
            bootstrap["tokenUrl"], headers={**headers, "Origin": "https://evil.example"}
        )
        headers.pop("Origin")
        cross_site = client.post(
            bootstrap["tokenUrl"], headers={**headers, "Sec-Fetch-Site": "cross-site"}
        )
    assert other_origin.status_code == 403  # Django's own CSRF check refuses it first
    assert cross_site.status_code == 403
    assert cross_site.json()["error"]["code"] == "cross-origin-request"
    assert audit_lines(caplog) == []


def test_missing_or_wrong_csrf_token_gets_403(host: RunningHost) -> None:
    with signed_in(host) as (client, bootstrap):
        headers = token_headers(client, bootstrap)
        missing = client.post(
            bootstrap["tokenUrl"],
            headers={"Origin": headers["Origin"], "Sec-Fetch-Site": "same-origin"},
        )
        wrong = client.post(
            bootstrap["tokenUrl"], headers={**headers, bootstrap["csrfHeader"]: "x" * 32}
        )
    assert missing.status_code == 403
    assert wrong.status_code == 403


def test_another_sites_form_cannot_sign_the_user_out(host: RunningHost) -> None:
    with signed_in(host) as (client, _):
        forged = client.post(
            "/sign-out",
            data={"csrf_token": "forged", "csrfmiddlewaretoken": "forged"},  # each host's field
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert forged.status_code == 403, forged.text
        assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_tokens_are_rate_limited_per_user(host: RunningHost, rate_clock: FakeClock) -> None:
    with signed_in(host) as (client, bootstrap):
        headers = token_headers(client, bootstrap)
        for _ in range(RATE_LIMIT):
            assert client.post(bootstrap["tokenUrl"], headers=headers).status_code == 200
        refused = client.post(bootstrap["tokenUrl"], headers=headers)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate-limited"
        assert refused.headers["retry-after"] == "20"  # 3 a minute: one every 20 s
        assert refused.headers["cache-control"] == "no-store"
        with signed_in(host, EVE) as (other, other_bootstrap):  # the limit is per user
            assert (
                other.post(
                    other_bootstrap["tokenUrl"], headers=token_headers(other, other_bootstrap)
                ).status_code
                == 200
            )
        rate_clock.advance(20)
        assert client.post(bootstrap["tokenUrl"], headers=headers).status_code == 200


def test_token_requests_take_no_parameters(host: RunningHost) -> None:
    with signed_in(host) as (client, bootstrap):
        headers = token_headers(client, bootstrap)
        url = bootstrap["tokenUrl"]
        for_someone_else = client.post(url, headers=headers, json={"sub": "demo|eve"})
        too_large = client.post(url, headers=headers, content=b"{" + b" " * 2048 + b"}")
        empty_object = client.post(url, headers=headers, json={})
        wrong_method = client.get(url)
    assert for_someone_else.status_code == 400
    assert for_someone_else.json()["error"]["code"] == "unexpected-body"
    assert too_large.status_code == 400
    assert too_large.json()["error"]["code"] == "body-too-large"
    assert empty_object.status_code == 200
    assert wrong_method.status_code == 405


def test_config_is_public_and_holds_no_secret(host: RunningHost, emulator: RunningEmulator) -> None:
    with host.client() as client:
        answer = client.get("/qlik/config")
    assert answer.status_code == 200
    assert set(answer.json()) == {
        "tenantUrl",
        "webIntegrationId",
        "appId",
        "objectId",
        "sheetId",
        "chartObjectIds",
        "loginMode",
    }
    assert answer.json()["tenantUrl"] == emulator.url
    assert "issuer" not in answer.text.lower() and "test-kid" not in answer.text


def test_front_end_files_are_served_and_nothing_else(host: RunningHost) -> None:
    with host.client() as client:
        script = client.get("/qlik/static/qlik-session.js")
        refused = [
            client.get(f"/qlik/static/{name}").status_code
            for name in ("tokens.py", "..%2Ftokens.py", ".hidden.js", "missing.js")
        ]
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "export function createQlikSession" in script.text
    assert refused == [404, 404, 404, 404]
