"""The host app's sign-in session cookie: its name, its flags, and reading it back.

The cookie holds only a random session id (the session lives server-side). It is
``HttpOnly`` and ``SameSite=Lax``; over HTTPS it is also ``Secure`` and uses the
``__Host-`` prefix, which browsers only accept from a secure origin, for the whole host.
"""

from __future__ import annotations

from fastapi import Request, Response

from qlik_jwt.web.sessions import HostSession, SessionStore

__all__ = ["HostSessionCookie"]

PLAIN_NAME = "qlik-jwt-session"
SECURE_NAME = "__Host-qlik-jwt-session"


class HostSessionCookie:
    """Sets, reads and clears the sign-in cookie for a :class:`SessionStore`."""

    def __init__(self, sessions: SessionStore, public_origin: str | None) -> None:
        self.sessions = sessions
        self.public_origin = public_origin

    def secure(self, request: Request) -> bool:
        """True when browsers reach the app over HTTPS."""
        if self.public_origin:
            return self.public_origin.startswith("https://")
        return request.url.scheme == "https"

    def name(self, request: Request) -> str:
        return SECURE_NAME if self.secure(request) else PLAIN_NAME

    def session(self, request: Request) -> HostSession | None:
        """The request's live host session, or None."""
        return self.sessions.get(request.cookies.get(self.name(request)))

    def set(self, request: Request, response: Response, session: HostSession) -> None:
        response.set_cookie(
            self.name(request),
            session.id,
            max_age=int(session.expires_at - session.created_at),
            path="/",
            secure=self.secure(request),
            httponly=True,
            samesite="lax",
        )

    def clear(self, request: Request, response: Response) -> None:
        response.delete_cookie(
            self.name(request), path="/", secure=self.secure(request), httponly=True, samesite="lax"
        )
