"""The one integration hook: who is the signed-in user of a request?

An ``Identify`` is any callable ``identify(request) -> UserClaims | None`` (a coroutine
function works too). The web app calls it on ``POST /token``, when rendering its page and,
in proxy mode, on every proxied call and engine websocket handshake (so keep it cheap);
``None`` means "not signed in".
Integrators with their own authentication pass their function to ``create_app(...,
identify=...)``: read your session or verify your auth header, and return the user's
**stable** subject, real e-mail, ``email_verified`` only when your app has verified the
address, and the Qlik groups that user should have. The default reads the built-in
sign-in session and the SQLite user store.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from fastapi import Request

from qlik_jwt.embedding.tokens import require_user
from qlik_jwt.signer import UserClaims
from qlik_jwt.web.signin import HostSessionCookie
from qlik_jwt.web.users import User, UserStore

__all__ = ["Identify", "SessionIdentity", "identify_user"]

Identify = Callable[[Request], UserClaims | Awaitable[UserClaims | None] | None]


class SessionIdentity:
    """The default hook: the user of the request's built-in host session."""

    def __init__(self, cookie: HostSessionCookie, users: UserStore) -> None:
        self.cookie = cookie
        self.users = users

    def user(self, request: Request) -> User | None:
        session = self.cookie.session(request)
        return None if session is None else self.users.get(session.user_id)

    def __call__(self, request: Request) -> UserClaims | None:
        user = self.user(request)
        return None if user is None else user.claims()


async def identify_user(identify: Identify, request: Request) -> UserClaims | None:
    """Call the hook; it may be a plain function or a coroutine function."""
    found: object = identify(request)
    if inspect.isawaitable(found):
        found = await found
    return None if found is None else require_user(found)
