"""The page's hint that a Qlik session is likely: a cookie set by ``POST /token``."""

from __future__ import annotations

from fastapi.testclient import TestClient

from qlik_jwt.embedding.tokens import QLIK_SESSION_HINT_SECONDS
from tests.support.webapp import ADA, GRACE, FakeClock, page_csrf_token, sign_in, token_headers

HINT = "qlik-jwt-minted"


def mint_as(client: TestClient, user=ADA) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, user.username, user.password)
    headers = token_headers(client, page_csrf_token(client))
    assert client.post("/token", headers=headers).status_code == 200


def likely(client: TestClient) -> bool:
    page = client.get("/").text
    assert '"qlikSessionLikely":' in page
    return '"qlikSessionLikely":true' in page


def test_the_cookie_holds_the_mint_time_and_lasts_the_window(
    client: TestClient, clock: FakeClock
) -> None:
    sign_in(client, ADA.username, ADA.password)
    answer = client.post("/token", headers=token_headers(client, page_csrf_token(client)))
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{HINT}={int(clock.now)};")
    assert f"Max-Age={QLIK_SESSION_HINT_SECONDS}" in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie


def test_minting_writes_nothing_to_the_session_store(client: TestClient) -> None:
    database = client.app.state.sessions.database  # type: ignore[attr-defined]
    sign_in(client, ADA.username, ADA.password)
    headers = token_headers(client, page_csrf_token(client))
    before = database.query("SELECT * FROM sessions")
    changes = database._conn.total_changes
    assert client.post("/token", headers=headers).status_code == 200
    assert database._conn.total_changes == changes
    assert [tuple(r) for r in database.query("SELECT * FROM sessions")] == [
        tuple(r) for r in before
    ]


def test_sign_out_and_a_new_sign_in_forget_the_hint(client: TestClient) -> None:
    mint_as(client)
    assert likely(client)
    csrf = page_csrf_token(client)
    client.post(
        "/sign-out",
        data={"csrf_token": csrf},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert client.cookies.get(HINT) is None
    sign_in(client, GRACE.username, GRACE.password)
    assert not likely(client)
    mint_as(client, GRACE)
    assert likely(client)
    # Signing in again (another user, same browser) starts without the hint.
    sign_in(client, ADA.username, ADA.password)
    assert not likely(client)


def test_a_changed_or_future_value_is_no_hint(client: TestClient, clock: FakeClock) -> None:
    sign_in(client, ADA.username, ADA.password)
    for value in ("", "soon", "-5", "1e9", str(int(clock.now) + 60), "9" * 200):
        client.cookies.set(HINT, value)
        assert not likely(client), value
    client.cookies.set(HINT, str(int(clock.now) - QLIK_SESSION_HINT_SECONDS + 1))
    assert likely(client)
