"""Clients shared by every user keep no cookies: each call reaches the tenant with exactly
its own session's cookies, or none (issue 12, finding 0)."""

from __future__ import annotations

from qlik_jwt.admin import TenantClient
from qlik_jwt.signer import UserClaims
from tests.support.proxy import ProxiedTenant, Received, signed_in
from tests.support.servers import ServerThread
from tests.support.webapp import ADA, GRACE


def _session_id(cookie_header: str | None) -> str | None:
    """The ``eas.sid`` value in a Cookie header, or None."""
    pairs = (part.strip().split("=", 1) for part in (cookie_header or "").split(";"))
    return dict(pair for pair in pairs if len(pair) == 2).get("eas.sid")


def test_each_proxied_call_carries_only_its_own_users_session(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url, ADA) as ada, signed_in(web.url, GRACE) as grace:
        assert ada.get("/api/v1/csrf-token").status_code == 204
        ada_calls = list(tenant.log.received)
        tenant.log.clear()
        assert grace.get("/api/v1/csrf-token").status_code == 204
        grace_calls = list(tenant.log.received)
        tenant.log.clear()
        assert ada.get("/api/v1/users/me", follow_redirects=True).json()["subject"] == "demo|ada"
        ada_later = list(tenant.log.received)
        tenant.log.clear()
        grace_me = grace.get("/api/v1/users/me", follow_redirects=True)
        assert grace_me.json()["subject"] == "demo|grace"
        grace_later = list(tenant.log.received)

    def sessions(calls: list[Received], path: str) -> set[str | None]:
        return {_session_id(call.header("cookie")) for call in calls if call.path != path}

    (grace_login,) = [call for call in grace_calls if call.path == "/login/jwt-session"]
    assert grace_login.header("cookie") is None  # not Ada's session: no cookie at all
    ada_sessions = sessions(ada_calls + ada_later, "/login/jwt-session")
    grace_sessions = sessions(grace_calls + grace_later, "/login/jwt-session")
    assert len(ada_sessions) == 1 and None not in ada_sessions
    assert len(grace_sessions) == 1 and None not in grace_sessions
    assert ada_sessions != grace_sessions


def test_the_proxys_shared_client_answers_a_cookieless_call_as_nobody(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url, ADA) as ada, signed_in(web.url, GRACE) as grace:
        assert ada.get("/api/v1/csrf-token").status_code == 204
        assert grace.get("/api/v1/csrf-token").status_code == 204
    proxy = web.app.state.proxy
    assert list(proxy.http.cookies.jar) == []  # nothing a later call could carry


def test_the_admin_clients_shared_client_keeps_no_session_cookie(tenant: ProxiedTenant) -> None:
    ada = UserClaims("demo|ada", "Ada Lovelace", "ada@example.com", True, ("Finance",))
    with TenantClient(tenant.url) as client:
        login = client.send(
            "POST",
            "/login/jwt-session",
            headers={"Authorization": f"Bearer {tenant.signer.mint(ada)}"},
        )
        assert login.status_code == 200
        assert "eas.sid" in login.headers.get("set-cookie", "")
        me = client.send("GET", "/api/v1/users/me")  # no credential of its own
    assert me.status_code == 401
