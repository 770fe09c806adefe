"""Host-app sign-in, sign-out and the session cookie, in process."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.webapp import ADA, make_app, page_csrf_token, sign_in, web_settings


def test_page_redirects_to_sign_in_when_signed_out(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"


def test_sign_in_form_is_served(client: TestClient) -> None:
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert 'name="password"' in response.text and 'type="password"' in response.text
    assert response.headers["cache-control"] == "no-store"


def test_sign_in_sets_an_httponly_lax_cookie_and_opens_the_page(client: TestClient) -> None:
    response = sign_in(client, ADA.username, ADA.password)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("qlik-jwt-session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP: a Secure cookie would never come back
    page = client.get("/")
    assert page.status_code == 200
    assert ADA.name in page.text


def test_cookie_is_secure_with_host_prefix_over_https(key_dir: Path) -> None:
    settings = web_settings(key_dir, public_origin="https://app.example.com")
    with TestClient(make_app(settings), base_url="https://app.example.com") as client:
        response = sign_in(client, ADA.username, ADA.password)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-qlik-jwt-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Domain" not in cookie


def test_wrong_password_rerenders_with_401_and_no_cookie(client: TestClient) -> None:
    response = sign_in(client, ADA.username, "wrong")
    assert response.status_code == 401
    assert "Unknown user name or wrong password" in response.text
    assert "set-cookie" not in response.headers
    assert f'value="{ADA.username}"' in response.text


def test_unknown_user_gets_the_same_answer(client: TestClient) -> None:
    response = sign_in(client, "nobody", "whatever")
    assert response.status_code == 401
    assert "Unknown user name or wrong password" in response.text


def test_cross_origin_sign_in_is_refused(client: TestClient) -> None:
    response = client.post(
        "/sign-in",
        data={"username": ADA.username, "password": ADA.password},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross-origin-request"
    assert "set-cookie" not in response.headers


def test_malformed_sign_in_bodies_are_400(client: TestClient) -> None:
    cases = [
        ({"content": b"username=a", "headers": {"Content-Type": "text/plain"}}, "bad-content-type"),
        ({"data": {"username": "ada"}}, "malformed-body"),
        ({"data": {"username": "ada", "password": "x", "extra": "1"}}, "malformed-body"),
        (
            {
                "content": b"username=%FF&password=x",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "malformed-body",
        ),
        ({"data": {"username": "a" * 65, "password": "x"}}, "malformed-body"),
        ({"data": {"username": "a", "password": "x" * 5000}}, "body-too-large"),
    ]
    for kwargs, code in cases:
        response = client.post("/sign-in", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 400, (kwargs, response.text)
        assert response.json()["error"]["code"] == code


def test_sign_in_replaces_the_previous_session(client: TestClient) -> None:
    sign_in(client, ADA.username, ADA.password)
    first = client.cookies.get("qlik-jwt-session")
    sign_in(client, ADA.username, ADA.password)
    second = client.cookies.get("qlik-jwt-session")
    assert first != second
    client.cookies.set("qlik-jwt-session", first or "")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_csrf_token_and_ends_the_session(client: TestClient) -> None:
    sign_in(client, ADA.username, ADA.password)
    token = page_csrf_token(client)
    refused = client.post("/sign-out", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/").status_code == 200
    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_session_expires_after_its_lifetime(key_dir: Path) -> None:
    from tests.support.webapp import FakeClock

    clock = FakeClock()
    settings = web_settings(key_dir, web_session_lifetime=3600)
    with TestClient(make_app(settings, clock=clock)) as client:
        sign_in(client, ADA.username, ADA.password)
        clock.advance(3599)
        assert client.get("/", follow_redirects=False).status_code == 200
        clock.advance(2)
        assert client.get("/", follow_redirects=False).status_code == 303


def test_session_ids_are_stored_hashed(client: TestClient) -> None:
    sign_in(client, ADA.username, ADA.password)
    cookie = client.cookies.get("qlik-jwt-session")
    rows = client.app.state.sessions.database.query("SELECT id_hash FROM sessions")  # type: ignore[attr-defined]
    assert len(rows) == 1 and rows[0]["id_hash"] != cookie and len(rows[0]["id_hash"]) == 64


def test_sign_in_attempts_are_limited_per_user_name(key_dir: Path) -> None:
    from tests.support.webapp import FakeClock

    clock = FakeClock()
    with TestClient(make_app(web_settings(key_dir), rate_clock=clock)) as client:
        statuses = [sign_in(client, "ADA", "guess").status_code for _ in range(10)]
        assert statuses == [401] * 10
        limited = sign_in(client, ADA.username, ADA.password)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "6"
        assert "Too many sign-in attempts" in limited.text
        assert sign_in(client, "grace", "guess").status_code == 401
        clock.advance(6)
        assert sign_in(client, ADA.username, ADA.password).status_code == 303
