"""The audit trail of token minting: one JSON line per token handed out (or refused).

Each line is a JSON object on the ``qlik_jwt.web.audit`` logger::

    {"event": "token-minted", "time": "2026-01-01T00:00:00Z", "sub": "myapp|42",
     "groups": ["Finance"], "jti": "9f1c…", "exp": 1767225660, "via": "token-endpoint",
     "client": "203.0.113.7"}

``time`` is when the token was minted (UTC, the minter's injected clock); ``via`` what asked
for it (``token-endpoint`` or ``proxy``); ``client`` the address the request came from
(behind a reverse proxy, what the server's forwarded-address handling makes of it), or null
when the caller did not say. A ``jti`` found in the tenant's logs leads back to one line
here. Login mode ``impersonation`` writes ``access-token-issued`` lines instead (the token's
fingerprint in place of a ``jti``). A line never holds the token, its signature, a session
cookie, a CSRF token or key material: whoever reads the log cannot log in with it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable

from qlik_jwt.signer import MintedToken

__all__ = ["AUDIT_LOGGER", "TokenAudit"]

AUDIT_LOGGER = "qlik_jwt.web.audit"


class TokenAudit:
    """Writes the audit lines, dated by ``clock`` (UNIX time)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.log = logging.getLogger(AUDIT_LOGGER)

    def _line(self, event: str, via: str, client: str | None, **facts: object) -> str:
        when = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        return json.dumps({"event": event, "time": stamp, **facts, "via": via, "client": client})

    def minted(self, token: MintedToken, *, via: str, client: str | None) -> None:
        """One INFO line for a token handed out: who, which groups, its ``jti`` and ``exp``."""
        facts = {"sub": token.sub, "groups": list(token.groups), "jti": token.jti}
        self.log.info(self._line("token-minted", via, client, **facts, exp=token.expires_at))

    def rate_limited(
        self, sub: str, *, via: str, client: str | None, event: str = "token-rate-limited"
    ) -> None:
        """One WARNING line for a token refused because the user asked too often."""
        self.log.warning(self._line(event, via, client, sub=sub))

    def access_token_issued(
        self, sub: str, fingerprint: str, exp: int, *, via: str, client: str | None
    ) -> None:
        """One INFO line for a user access token handed to a browser (login mode
        ``impersonation``): who, when it expires, and ``token``, the first 12 hex digits of
        its SHA-256 (names the token without giving it)."""
        facts = {"sub": sub, "token": fingerprint, "exp": exp}
        self.log.info(self._line("access-token-issued", via, client, **facts))
