"""Server-side sign-in sessions of the host app, keyed by a random cookie value.

Only the SHA-256 of the cookie value is stored, so a copy of the database does not hold
usable session ids. Each session carries its own CSRF token (sent back by the page in a
header). Nothing is written on a token mint (see :mod:`qlik_jwt.web.mint_hint`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from qlik_jwt.web.database import Database

__all__ = ["HostSession", "SessionStore"]


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class HostSession:
    """One signed-in session. ``id`` is the cookie value: never log it."""

    id: str
    user_id: int
    csrf_token: str
    created_at: float
    expires_at: float

    def __repr__(self) -> str:
        return f"HostSession(user_id={self.user_id}, expires_at={self.expires_at})"


class SessionStore:
    """Sessions in the web app's database; ``lifetime`` seconds each, ``clock`` injected."""

    def __init__(
        self,
        database: Database,
        *,
        lifetime: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.database = database
        self.lifetime = lifetime
        self.clock = clock

    def create(self, user_id: int) -> HostSession:
        """A new session for ``user_id``; expired sessions are purged on the way."""
        now = self.clock()
        session = HostSession(
            secrets.token_urlsafe(32),
            user_id,
            secrets.token_urlsafe(32),
            now,
            now + self.lifetime,
        )
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (_hash(session.id), user_id, session.csrf_token, now, session.expires_at),
            )
        return session

    def get(self, session_id: str | None) -> HostSession | None:
        """The live session for a cookie value, or None (absent, unknown or expired)."""
        if not session_id or len(session_id) > 128:
            return None
        rows = self.database.query(
            "SELECT user_id, csrf_token, created_at, expires_at "
            "FROM sessions WHERE id_hash = ? AND expires_at > ?",
            (_hash(session_id), self.clock()),
        )
        if not rows:
            return None
        row = rows[0]
        return HostSession(
            session_id,
            int(row["user_id"]),
            str(row["csrf_token"]),
            float(row["created_at"]),
            float(row["expires_at"]),
        )

    def delete(self, session_id: str) -> None:
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_hash(session_id),))
