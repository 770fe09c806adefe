"""The audit trail of the token endpoint: one JSON line per minted (or refused) token.

Each line is a JSON object on the ``qlik_jwt.web.audit`` logger::

    {"event": "token-minted", "time": "2026-01-01T00:00:00Z", "sub": "myapp|42",
     "groups": ["Finance"], "jti": "9f1c…", "exp": 1767225660, "client": "203.0.113.7"}

``time`` is when the web app answered (UTC, its injected clock), ``client`` the address the
request came from (behind a reverse proxy, what uvicorn's ``--forwarded-allow-ips`` makes
of it). A ``jti`` found in the tenant's logs leads back to one line here. The line never
holds the token, its signature, the session cookie, the CSRF token or key material:
whoever reads the log cannot log in with it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable

from fastapi import Request

from qlik_jwt.signer import MintedToken

__all__ = ["AUDIT_LOGGER", "TokenAudit"]

AUDIT_LOGGER = "qlik_jwt.web.audit"


class TokenAudit:
    """Writes the audit lines, dated by ``clock`` (UNIX time)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.log = logging.getLogger(AUDIT_LOGGER)

    def _line(self, event: str, request: Request, **facts: object) -> str:
        when = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        return json.dumps(
            {
                "event": event,
                "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                **facts,
                "client": request.client.host if request.client else None,
            }
        )

    def minted(self, request: Request, token: MintedToken) -> None:
        """One INFO line for a token handed out: who, which groups, its ``jti`` and ``exp``."""
        self.log.info(
            self._line(
                "token-minted",
                request,
                sub=token.sub,
                groups=list(token.groups),
                jti=token.jti,
                exp=token.expires_at,
            )
        )

    def rate_limited(self, request: Request, sub: str) -> None:
        """One WARNING line for a token refused because the user asked too often."""
        self.log.warning(self._line("token-rate-limited", request, sub=sub))
