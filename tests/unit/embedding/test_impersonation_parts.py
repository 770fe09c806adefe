"""Login mode ``impersonation``: the page's bootstrap and qlik-embed snippet per mode, the
page's CSP, and the tenant's grant refusals as the browser gets them (no I/O)."""

from __future__ import annotations

import html

import pytest

from qlik_jwt.embedding.access_tokens import grant_refused
from qlik_jwt.embedding.page import EmbedPage, snippet_kind
from qlik_jwt.errors import TenantHTTPError, TenantUnreachableError
from qlik_jwt.settings import Settings
from qlik_jwt.web.security_headers import content_security_policy

TENANT = "https://t.eu.qlikcloud.com"
SECRET = "not-for-the-browser-" + "Qx7" * 8


def settings(login_mode: str, web_mode: str) -> Settings:
    return Settings.load(
        env_file=None,
        tenant_url=TENANT,
        app_id="app-1",
        object_id="obj-1",
        web_integration_id="wiid-1",
        login_mode=login_mode,
        web_mode=web_mode,
        oauth_client_id="client-1",
        oauth_client_secret=SECRET,
        public_origin="https://app.example.com",
    )


def bootstrap(page: EmbedPage, **extra: str | None) -> dict[str, object]:
    return page.bootstrap(
        subject="demo|ada",
        token_url="/access-token",
        csrf_header="X-CSRF-Token",
        csrf_token="csrf",
        session_likely=False,
        **extra,
    )


def test_direct_impersonation_gets_a_bearer_page_and_frames_through_the_app() -> None:
    page = EmbedPage(settings("impersonation", "direct"))
    data = bootstrap(page, frame_origin="https://app.example.com")
    assert data["auth"] == "bearer"
    assert data["qlikBaseUrl"] == TENANT  # REST and the engine: straight to the tenant
    assert data["frameBaseUrl"] == "https://app.example.com"  # /single/: through the app
    assert data["clientId"] == "client-1"  # for the token exchange, as @qlik/api sends it
    fragment = page.render("", subject="s", csrf_header="h", csrf_token="t", session_likely=False)
    assert '"tokenUrl":"/access-token"' in fragment.head


def test_proxy_impersonation_page_is_the_proxy_page() -> None:
    page = EmbedPage(settings("impersonation", "proxy"))
    data = bootstrap(page, proxy_origin="https://app.example.com")
    assert data["auth"] == "cookie"  # the page talks to the app only; the app adds Bearer
    assert data["tokenUrl"] is None and data["clientId"] is None
    assert data["qlikBaseUrl"] == "https://app.example.com"


def test_the_client_secret_never_reaches_the_page() -> None:
    for web_mode in ("direct", "proxy"):
        page = EmbedPage(settings("impersonation", web_mode))
        fragment = page.render(
            "", subject="s", csrf_header="h", csrf_token="t", session_likely=False
        )
        assert SECRET not in fragment.head + fragment.body + page.panels


@pytest.mark.parametrize(
    ("login_mode", "web_mode", "kind", "shown", "absent"),
    [
        ("jwt", "direct", "cookie", 'data-web-integration-id="wiid-1"', "Oauth2"),
        ("interactive", "direct", "cookie", 'data-auth-type="cookie"', "Oauth2"),
        ("jwt", "proxy", "none", 'data-host="https://app.example.com"', "web-integration"),
        ("impersonation", "proxy", "none", 'data-auth-type="none"', "Oauth2"),
        ("impersonation", "direct", "oauth2", 'data-get-access-token="getAccessToken"', "cookie"),
    ],
)
def test_the_qlik_embed_snippet_matches_the_mode(
    login_mode: str, web_mode: str, kind: str, shown: str, absent: str
) -> None:
    config = settings(login_mode, web_mode)
    assert snippet_kind(config) == kind
    panels = html.unescape(EmbedPage(config).panels)
    assert shown in panels and absent not in panels.split("<qlik-embed")[0].split("data-host")[1]
    if kind == "oauth2":
        assert 'data-client-id="client-1"' in panels and 'fetch("/access-token"' in panels


def test_direct_impersonation_csp_talks_to_the_tenant_and_frames_the_app() -> None:
    policy = content_security_policy(TENANT, frame_through_app=True)
    assert f"connect-src 'self' {TENANT} wss://t.eu.qlikcloud.com" in policy
    assert "frame-src 'self';" in policy


def refused(status: int, code: str, detail: str) -> TenantHTTPError:
    return TenantHTTPError("POST", f"{TENANT}/oauth/token", status, code, None, detail)


@pytest.mark.parametrize(
    ("error", "status", "code", "fix_names"),
    [
        (
            refused(401, "invalid_client", "client_secret is wrong"),
            502,
            "oauth-client-refused",
            "QLIK_OAUTH_CLIENT_SECRET",
        ),
        (
            refused(403, "access_denied", "the user is disabled"),
            403,
            "impersonation-refused",
            "enable the user",
        ),
        (
            refused(403, "access_denied", "maximum number of tokens reached"),
            403,
            "too-many-tokens",
            "revoke",
        ),
        (refused(429, "too_many_requests", ""), 429, "rate-limited", "retry"),
        (
            TenantUnreachableError(TENANT, "connection refused"),
            502,
            "tenant-unreachable",
            "QLIK_TENANT_URL",
        ),
    ],
)
def test_each_grant_refusal_is_explained_in_qliks_terms_with_its_fix(
    error: Exception, status: int, code: str, fix_names: str
) -> None:
    refusal = grant_refused(error)  # type: ignore[arg-type]
    assert (refusal.status, refusal.code) == (status, code)
    assert fix_names in (refusal.fix or "")
