"""What outlives a user's sign-out (issue 12): cached answers, the engine socket, the Qlik
session at the tenant and in the store."""

from __future__ import annotations

from tests.support.proxy import ASSET_CACHING, ASSET_PATH, ProxiedTenant, signed_in
from tests.support.servers import ServerThread
from tests.support.webapp import page_csrf_token

USER_SPECIFIC = "private, no-store"


def test_answers_that_depend_on_the_user_are_not_cached(
    tenant: ProxiedTenant, web: ServerThread
) -> None:
    with signed_in(web.url) as browser:
        me = browser.get("/api/v1/users/me")
        assert me.status_code == 301  # the redirect a browser cached for the next user
        assert me.headers["cache-control"] == USER_SPECIFIC
        user = browser.get(me.headers["location"])
        assert user.headers["cache-control"] == USER_SPECIFIC
        single = browser.get("/single/", params={"appid": tenant.emulator.app_id})
        assert single.headers["cache-control"] == USER_SPECIFIC
        # A static asset keeps the tenant's own caching.
        asset = browser.get(ASSET_PATH)
        assert asset.status_code == 200
        assert asset.headers["cache-control"] == ASSET_CACHING


def test_sign_out_asks_the_browser_to_clear_the_sites_cache_and_storage(
    web: ServerThread,
) -> None:
    with signed_in(web.url) as browser:
        answer = browser.post(
            "/sign-out",
            data={"csrf_token": page_csrf_token(browser)},
            headers={"Origin": web.url},
        )
    assert answer.status_code == 303
    assert answer.headers["clear-site-data"] == '"cache", "storage"'
