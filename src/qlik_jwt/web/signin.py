"""The host app's sign-in session cookie: its name, and reading the session back.

The cookie holds only a random session id (the session lives server-side); its flags are
those of every first-party cookie of the app (:mod:`qlik_jwt.web.cookies`).
"""

from __future__ import annotations

from fastapi import Request, Response
from starlette.requests import HTTPConnection

from qlik_jwt.web.cookies import FirstPartyCookie
from qlik_jwt.web.sessions import HostSession, SessionStore

__all__ = ["HostSessionCookie"]

BASE_NAME = "qlik-jwt-session"
# Where a request keeps the session read for it: (cookie value, session or None).
_SCOPE_KEY = "qlik_jwt.host_session"


class HostSessionCookie:
    """Sets, reads and clears the sign-in cookie for a :class:`SessionStore`."""

    def __init__(self, sessions: SessionStore, public_origin: str | None) -> None:
        self.sessions = sessions
        self.public_origin = public_origin
        self.cookie = FirstPartyCookie(BASE_NAME, public_origin)

    def secure(self, request: HTTPConnection) -> bool:
        """True when browsers reach the app over HTTPS."""
        return self.cookie.secure(request)

    def name(self, request: HTTPConnection) -> str:
        return self.cookie.name(request)

    def session(self, request: HTTPConnection) -> HostSession | None:
        """The request's (or websocket handshake's) live host session, or None.

        Read from the store once per request (``POST /token`` needs it both to identify the
        user and to check the CSRF token); later calls for the same cookie value answer the
        same session, even if the store changed meanwhile.
        """
        value = self.cookie.value(request)
        read = request.scope.get(_SCOPE_KEY)
        if read is not None and read[0] == value:
            return read[1]  # type: ignore[no-any-return]
        session = self.sessions.get(value)
        request.scope[_SCOPE_KEY] = (value, session)
        return session

    def expires_at(self, connection: HTTPConnection) -> float | None:
        """When the connection's host session expires, or None when it has none."""
        session = self.session(connection)
        return None if session is None else session.expires_at

    def set(self, request: Request, response: Response, session: HostSession) -> None:
        max_age = int(session.expires_at - session.created_at)
        self.cookie.set(request, response, session.id, max_age)

    def clear(self, request: Request, response: Response) -> None:
        self.cookie.clear(request, response)
