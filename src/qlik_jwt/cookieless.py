"""A cookie jar that keeps nothing: for every HTTP client that serves more than one session
(the admin client and the web app's proxy mode alike).

httpx stores each answer's ``Set-Cookie`` in its client's jar and sends those cookies with
the client's later requests. A client shared by several users (the proxy's tenant client,
the admin client) would so carry one user's Qlik session on another user's calls. Such
clients get this jar instead; a call made for a session sends that session's cookies
itself, in its own ``Cookie`` header.
"""

from __future__ import annotations

from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from urllib.request import Request

__all__ = ["cookieless_jar"]


class _KeepNothing(DefaultCookiePolicy):
    def set_ok(self, cookie: Cookie, request: Request) -> bool:
        return False

    def return_ok(self, cookie: Cookie, request: Request) -> bool:
        return False


def cookieless_jar() -> CookieJar:
    """A jar that accepts no cookie and sends none (``cookies=`` of an httpx client)."""
    return CookieJar(policy=_KeepNothing())
