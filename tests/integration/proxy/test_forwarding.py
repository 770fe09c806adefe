"""Proxy mode forwards Qlik's REST paths, /single/ and its resources for a signed-in user,
logging in lazily, once, server-to-server."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.proxy import ProxiedTenant, signed_in
from tests.support.servers import ServerThread
from tests.support.webapp import ADA


def test_first_call_logs_in_server_to_server_and_later_calls_reuse_it(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        assert tenant.log.logins() == 0  # signing in to the host app does not touch Qlik
        first = browser.get("/api/v1/csrf-token")
        assert first.status_code == 204
        assert first.headers["qlik-jwt-login"] == "new"
        assert "qlik-csrf-token" not in first.headers  # the browser never holds it
        me = browser.get("/api/v1/users/me", follow_redirects=True)
        again = browser.get("/api/v1/csrf-token")
    assert me.status_code == 200 and me.json()["subject"] == f"demo|{ADA.username}"
    assert me.history[0].status_code == 301
    assert me.history[0].headers["location"] == f"/api/v1/users/{me.json()['id']}"
    assert again.status_code == 204 and "qlik-jwt-login" not in again.headers
    (login,) = tenant.log.requests("POST", "/login/jwt-session")
    # Server-to-server, as the reference's §2.1: a bearer token, no Origin, no cookies.
    assert (login.header("authorization") or "").startswith("Bearer ey")
    assert login.header("origin") is None and login.header("cookie") is None
    assert tenant.emulator.tenant.sessions.count() == 1


def test_the_page_learns_of_a_new_session_whichever_call_made_it(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        assert browser.get("/api/v1/users/me").status_code == 301  # this call logs in
        told = browser.get("/api/v1/csrf-token")
        again = browser.get("/api/v1/csrf-token")
    assert told.status_code == 204 and told.headers["qlik-jwt-login"] == "new"
    assert again.status_code == 204 and "qlik-jwt-login" not in again.headers
    assert tenant.log.logins() == 1


def test_parallel_first_calls_share_one_login(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: browser.get("/api/v1/users/me"), range(8)))
    assert {answer.status_code for answer in answers} == {301}
    assert tenant.log.logins() == 1


def test_modifying_calls_carry_the_csrf_token_and_reads_do_not(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        origin = {"Origin": web.url}
        created = browser.post(
            "/api/v1/spaces", json={"name": "x", "type": "shared"}, headers=origin
        )
        read = browser.get("/api/v1/users/me")
        removed = browser.delete("/api/v1/users/nope", headers=origin)
    # The emulator checks the CSRF token before the role: "not_admin", not "csrf_missing".
    assert created.status_code == 403
    assert created.json()["errors"][0]["meta"]["reason"] == "not_admin"
    assert removed.json()["errors"][0]["meta"]["reason"] == "not_admin"
    assert read.status_code == 301
    post, get, delete = (
        tenant.log.requests("POST", "/api/v1/spaces")[0],
        tenant.log.requests("GET", "/api/v1/users/me")[0],
        tenant.log.requests("DELETE", "/api/v1/users/nope")[0],
    )
    assert post.header("qlik-csrf-token") and delete.header("qlik-csrf-token")
    assert post.header("qlik-csrf-token") == delete.header("qlik-csrf-token")
    assert get.header("qlik-csrf-token") is None


def test_bodies_stream_through_both_ways(tenant: ProxiedTenant, web: ServerThread) -> None:
    """A body too large to hold for a retry is streamed; the tenant's own refusal (413, in
    Qlik's shape) comes back unchanged."""
    big = b"x" * (3 * 1024 * 1024)

    def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    with signed_in(web.url) as browser:
        origin = {"Origin": web.url, "Content-Type": "application/json"}
        streamed = browser.post("/api/v1/spaces", content=chunks(), headers=origin)
        sized = browser.post("/api/v1/spaces", content=big, headers=origin)
    for answer in (streamed, sized):
        assert answer.status_code == 413, answer.text
        assert answer.json()["errors"][0]["status"] == "413"


def test_single_page_and_its_csrf_token_stay_server_side(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    app_id = tenant.emulator.app_id
    with signed_in(web.url) as browser:
        page = browser.get(
            "/single/",
            params={"appid": app_id, "obj": "sales-by-region", "qlik-csrf-token": "browser-guess"},
        )
    assert page.status_code == 200 and "Sales by Region" in page.text
    assert page.headers["content-security-policy"].startswith("frame-ancestors 'self'")
    (sent,) = tenant.log.requests("GET", "/single/")
    assert "qlik-csrf-token" not in sent.query  # URLs end up in logs: a header instead
    assert [sent.header("qlik-csrf-token")] == session_csrf_tokens(tenant)
    assert "browser-guess" not in sent.query


def session_csrf_tokens(tenant: ProxiedTenant) -> list[str]:
    """The CSRF tokens of the tenant's live sessions (read from its state)."""
    return [row["csrf_token"] for row in tenant.emulator.tenant.db.query("SELECT * FROM sessions")]


def test_resources_and_assets_are_forwarded(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser:
        for path in ("/resources/autogenerated/qlik-styles.css", "/assets/x.js"):
            answer = browser.get(path)
            assert answer.status_code == 404  # the emulator has none; Qlik's answer passes
            assert "errors" in answer.json()
    assert [r.path for r in tenant.log.requests("GET")][-2:] == [
        "/resources/autogenerated/qlik-styles.css",
        "/assets/x.js",
    ]


def test_paths_that_could_climb_out_are_refused(tenant: ProxiedTenant, web: ServerThread) -> None:
    with signed_in(web.url) as browser:
        for path in ("/api/v1/%2e%2e/%2e%2e/login/jwt-session", "/single/%2E%2E/app/x"):
            answer = browser.get(path)
            assert answer.status_code == 400, path
            assert answer.json()["error"]["code"] == "bad-path"
    assert tenant.log.requests(path="/login/jwt-session") == []


def test_another_sites_form_cannot_make_the_proxy_add_the_csrf_token(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        browser.get("/api/v1/csrf-token")
        tenant.log.clear()
        forged = browser.post(
            "/api/v1/spaces",
            data={"name": "x"},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
    assert forged.status_code == 403
    assert forged.json()["error"]["code"] == "cross-origin-request"
    assert tenant.log.received == []


def test_config_is_unchanged_and_token_endpoint_is_not_mounted(web: ServerThread) -> None:
    with signed_in(web.url) as browser:
        page = browser.get("/").text
        token = browser.post("/token", headers={"Origin": web.url, "X-CSRF-Token": "x"})
    bootstrap = json.loads(page.split('id="bootstrap">', 1)[1].split("</script>", 1)[0])
    assert bootstrap["qlikBaseUrl"] == web.url
    assert bootstrap["tokenUrl"] is None
    assert bootstrap["mode"] == "proxy"
    assert token.status_code == 404  # the browser never gets a token in proxy mode


def test_the_session_store_file_is_private(
    tenant: ProxiedTenant, web: ServerThread, tmp_path: Path
) -> None:
    with signed_in(web.url) as browser:
        browser.get("/api/v1/csrf-token")
    store = tmp_path / "proxy-sessions.sqlite3"
    assert store.stat().st_mode & 0o077 == 0
