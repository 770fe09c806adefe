"""The web app's own (first-party) cookies: one name, one set of flags, read back safely.

Every cookie the app sets holds only a random id whose state lives server-side. It is
``HttpOnly`` and ``SameSite=Lax`` with ``Path=/``; when browsers reach the app over HTTPS it
is also ``Secure`` and takes the ``__Host-`` prefix, which browsers accept only from a secure
origin, for the whole host. Works for HTTP requests and websocket handshakes alike.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.responses import Response

__all__ = ["MAX_COOKIE_VALUE", "FirstPartyCookie"]

MAX_COOKIE_VALUE = 128  # our ids are 43 characters; anything much longer is not ours


class FirstPartyCookie:
    """The cookie ``base_name`` (``__Host-<base_name>`` over HTTPS) of this app."""

    def __init__(self, base_name: str, public_origin: str | None) -> None:
        self.base_name = base_name
        self.public_origin = public_origin

    def secure(self, connection: HTTPConnection) -> bool:
        """True when browsers reach the app over HTTPS (``QLIK_PUBLIC_ORIGIN`` decides)."""
        if self.public_origin:
            return self.public_origin.startswith("https://")
        return connection.scope.get("scheme", "http") in ("https", "wss")  # URL's, unparsed

    def name(self, connection: HTTPConnection) -> str:
        return f"__Host-{self.base_name}" if self.secure(connection) else self.base_name

    def value(self, connection: HTTPConnection) -> str | None:
        """The cookie's value, or None when absent, empty or implausibly long."""
        found = connection.cookies.get(self.name(connection))
        return found if found and len(found) <= MAX_COOKIE_VALUE else None

    def header(self, connection: HTTPConnection, value: str, max_age: int) -> str:
        """The ``Set-Cookie`` header value (for answers that are not a Response object)."""
        response = Response()
        self.set(connection, response, value, max_age)
        return response.headers["set-cookie"]

    def set(self, connection: HTTPConnection, response: Response, value: str, max_age: int) -> None:
        response.set_cookie(
            self.name(connection),
            value,
            max_age=max_age,
            path="/",
            secure=self.secure(connection),
            httponly=True,
            samesite="lax",
        )

    def clear(self, connection: HTTPConnection, response: Response) -> None:
        response.delete_cookie(
            self.name(connection),
            path="/",
            secure=self.secure(connection),
            httponly=True,
            samesite="lax",
        )
