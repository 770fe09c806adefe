"""The four session cookies: ``eas.sid``, ``_csrfToken`` and their ``.sig`` companions.

A ``.sig`` cookie holds the HMAC-SHA512 (base64url, 86 characters, like newer captures
of Qlik's) of ``name=value`` under the tenant's secret; a cookie whose signature does not
match is ignored, so a forged or edited ``eas.sid`` never finds a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.responses import Response

from qlik_jwt.emulator.options import EmulatorOptions

__all__ = ["CSRF_COOKIE", "SESSION_COOKIE", "CookieJar", "SessionCookies"]

SESSION_COOKIE = "eas.sid"
CSRF_COOKIE = "_csrfToken"
STATE_COOKIE_PREFIX = "eas.rfp."


@dataclass(frozen=True)
class SessionCookies:
    """The verified session id and CSRF token a request carried."""

    sid: str
    csrf_token: str

    def __repr__(self) -> str:
        return "SessionCookies(<hidden>)"


class CookieJar:
    """Signs, sets, reads and clears the tenant's cookies with the tenant's options."""

    def __init__(self, secret: str, options: EmulatorOptions) -> None:
        self._secret = secret.encode("utf-8")
        self._options = options

    def sign(self, name: str, value: str) -> str:
        mac = hmac.new(self._secret, f"{name}={value}".encode(), hashlib.sha512).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def _verified(self, cookies: Mapping[str, str], name: str) -> str | None:
        value, signature = cookies.get(name), cookies.get(name + ".sig")
        if not value or not signature:
            return None
        # bytes, not str: compare_digest raises TypeError for non-ASCII text (a 500)
        expected = self.sign(name, value).encode()
        return value if hmac.compare_digest(expected, signature.encode()) else None

    def read_session(self, cookies: Mapping[str, str]) -> SessionCookies | None:
        """The session cookies when both are present and correctly signed, else None."""
        sid = self._verified(cookies, SESSION_COOKIE)
        csrf = self._verified(cookies, CSRF_COOKIE)
        return SessionCookies(sid, csrf) if sid and csrf else None

    def read_state(self, cookies: Mapping[str, str], state: str) -> bool:
        """True when the ``eas.rfp.<state>`` cookie set by ``/login`` came back intact."""
        name = STATE_COOKIE_PREFIX + state
        return self._verified(cookies, name) == state

    def _set(
        self, response: Response, name: str, value: str, *, https: bool, httponly: bool
    ) -> None:
        mode = self._options.cookie_secure
        secure = mode == "always" or (mode == "auto" and https)
        response.set_cookie(
            name,
            value,
            max_age=self._options.cookie_max_age,
            path="/",
            domain=self._options.cookie_domain,
            secure=secure,
            httponly=httponly,
            samesite="none" if secure else "lax",
        )
        if self._options.cookie_partitioned and secure:
            # Starlette writes Partitioned only on Python 3.14+; it is one attribute more
            header, cookie = response.raw_headers[-1]
            response.raw_headers[-1] = (header, cookie + b"; Partitioned")

    def set_session(self, response: Response, sid: str, csrf_token: str, *, https: bool) -> None:
        for name, value, httponly in (
            (SESSION_COOKIE, sid, True),
            (CSRF_COOKIE, csrf_token, self._options.csrf_cookie_httponly),
        ):
            self._set(response, name, value, https=https, httponly=httponly)
            self._set(response, name + ".sig", self.sign(name, value), https=https, httponly=True)

    def clear_session(self, response: Response) -> None:
        for name in (SESSION_COOKIE, CSRF_COOKIE):
            for cookie in (name, name + ".sig"):
                response.delete_cookie(cookie, path="/", domain=self._options.cookie_domain)

    def set_state(self, response: Response, state: str, *, https: bool) -> None:
        name = STATE_COOKIE_PREFIX + state
        self._set(response, name, state, https=https, httponly=True)
        self._set(response, name + ".sig", self.sign(name, state), https=https, httponly=True)

    def clear_state(self, response: Response, state: str) -> None:
        for cookie in (STATE_COOKIE_PREFIX + state, STATE_COOKIE_PREFIX + state + ".sig"):
            response.delete_cookie(cookie, path="/", domain=self._options.cookie_domain)
