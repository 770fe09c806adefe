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
        """The request's (or websocket handshake's) live host session, or None."""
        return self.sessions.get(self.cookie.value(request))

    def set(self, request: Request, response: Response, session: HostSession) -> None:
        max_age = int(session.expires_at - session.created_at)
        self.cookie.set(request, response, session.id, max_age)

    def clear(self, request: Request, response: Response) -> None:
        self.cookie.clear(request, response)
