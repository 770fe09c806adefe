"""OAuth access tokens: the administrator's (client credentials) and users' (impersonation).

Tokens are stored as SHA-256 digests only. A token has a ``purpose``: ``access`` (a
Bearer token for REST and the engine), or ``websocket`` / ``webresource`` for a token
exchanged from an access token (RFC 8693), which ends when its parent is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass

from qlik_jwt.emulator.state.db import Database

__all__ = ["ACCESS", "EXCHANGE_PURPOSES", "AccessTokens", "IssuedToken", "TokenRecord"]

ACCESS = "access"
EXCHANGE_PURPOSES = ("websocket", "webresource")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenRecord:
    """A live token: whose (``user_id`` None for the administrator), from which client."""

    digest: str
    client_id: str
    user_id: str | None
    purpose: str
    scope: str
    created: float
    expires: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> TokenRecord:
        return cls(
            row["token_hash"],
            row["client_id"],
            row["user_id"],
            row["purpose"],
            row["scope"],
            row["created"],
            row["expires"],
        )


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires: float

    def __repr__(self) -> str:  # the token is a secret
        return f"IssuedToken(expires={self.expires})"


class AccessTokens:
    def __init__(self, db: Database) -> None:
        self._db = db

    def issue(
        self,
        client_id: str,
        *,
        user_id: str | None,
        scope: str,
        now: float,
        lifetime: float,
        purpose: str = ACCESS,
        parent: TokenRecord | None = None,
        max_per_user: int | None = None,
    ) -> IssuedToken | None:
        """A new token, or None when ``user_id`` already holds ``max_per_user`` live access
        tokens (counted and written in one transaction, so concurrent grants cannot pass)."""
        token = secrets.token_urlsafe(32)
        expires = now + lifetime
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM access_tokens WHERE expires <= ?", (now,))
            if max_per_user is not None and user_id is not None:
                held = conn.execute(
                    "SELECT count(*) AS n FROM access_tokens WHERE user_id = ? AND purpose = ?",
                    (user_id, ACCESS),
                ).fetchone()["n"]
                if held >= max_per_user:
                    return None
            conn.execute(
                "INSERT INTO access_tokens VALUES (?,?,?,?,?,?,?,?)",
                (
                    _digest(token),
                    client_id,
                    user_id,
                    purpose,
                    scope,
                    parent.digest if parent else None,
                    now,
                    expires,
                ),
            )
        return IssuedToken(token, expires)

    def find(self, token: str, *, now: float) -> TokenRecord | None:
        """The live token record for ``token``, or None (unknown, revoked or expired)."""
        row = self._db.one(
            "SELECT * FROM access_tokens WHERE token_hash = ? AND expires > ?",
            (_digest(token), now),
        )
        return TokenRecord.from_row(row) if row else None

    def revoke(self, token: str) -> bool:
        """Revoke ``token`` and the tokens exchanged from it; False when it was not live."""
        digest = _digest(token)
        with self._db.transaction() as conn:
            gone = conn.execute("DELETE FROM access_tokens WHERE token_hash = ?", (digest,))
            conn.execute("DELETE FROM access_tokens WHERE parent = ?", (digest,))
        return gone.rowcount > 0

    def live_for_user(self, user_id: str, *, now: float) -> int:
        """How many live access tokens (not exchanged ones) ``user_id`` holds."""
        row = self._db.one(
            "SELECT count(*) AS n FROM access_tokens WHERE user_id = ? AND purpose = ? "
            "AND expires > ?",
            (user_id, ACCESS, now),
        )
        return int(row["n"]) if row else 0
