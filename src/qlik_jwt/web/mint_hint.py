"""Was this browser given a Qlik token lately? A cookie holding the time of the last mint.

The embedding page uses the answer as a hint (``qlikSessionLikely``): after a recent mint the
browser most likely still holds a Qlik session, so the page probes it before asking for a
new token; otherwise it asks for the token at once, in parallel with the probe. A wrong hint
costs one round trip or one token, never correctness: the page checks the Qlik session
either way. So the hint lives in the browser, not in the session store: minting then writes
nothing to the shared database, where a write per token made several workers queue on
SQLite's single write lock (``bench/token_endpoint.py`` measured it).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.responses import Response

from qlik_jwt.embedding.tokens import QLIK_SESSION_HINT_SECONDS
from qlik_jwt.web.cookies import FirstPartyCookie

__all__ = ["MintHint"]


class MintHint:
    """The ``qlik-jwt-minted`` cookie: the UNIX time of the last token given to this browser.

    ``clock`` is the app's clock (the cookie's value is compared with it, not with the
    browser's); the cookie itself lasts ``window`` seconds.
    """

    def __init__(
        self,
        public_origin: str | None,
        *,
        clock: Callable[[], float] = time.time,
        window: int = QLIK_SESSION_HINT_SECONDS,
    ) -> None:
        self.cookie = FirstPartyCookie("qlik-jwt-minted", public_origin)
        self.clock = clock
        self.window = window

    def record(self, connection: HTTPConnection, response: Response) -> None:
        """Note on ``response`` that a token is being given to this browser now."""
        self.cookie.set(connection, response, str(math.floor(self.clock())), self.window)

    def likely(self, connection: HTTPConnection) -> bool:
        """True when the browser's last token is less than ``window`` seconds old. A missing,
        unreadable or future value (the browser can change it) counts as no recent token."""
        value = self.cookie.value(connection)
        # ASCII digits only: "²" (one Latin-1 byte in a Cookie header) passes isdigit(), not int()
        if value is None or not (value.isascii() and value.isdigit()):
            return False
        return 0 <= self.clock() - int(value) < self.window

    def clear(self, connection: HTTPConnection, response: Response) -> None:
        """Forget the hint (sign-in and sign-out: the next user starts afresh)."""
        self.cookie.clear(connection, response)
