"""Login sessions, used ``jti`` values and interactive-login states.

A session ends after ``inactivity`` seconds without a request or ``max_age`` seconds after
it began, whichever comes first (Qlik's tenant defaults: 30 min and 24 h).
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from qlik_jwt.emulator.state.db import Database

__all__ = ["Session", "Sessions"]


@dataclass(frozen=True)
class Session:
    sid: str
    user_id: str
    csrf_token: str
    created: float
    last_seen: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Session:
        return cls(row["sid"], row["user_id"], row["csrf_token"], row["created"], row["last_seen"])

    def __repr__(self) -> str:  # sid and CSRF token are secrets
        return f"Session(user_id={self.user_id!r}, created={self.created})"


class Sessions:
    def __init__(self, db: Database, *, inactivity: float, max_age: float) -> None:
        self._db = db
        self.inactivity = inactivity
        self.max_age = max_age

    # --- sessions -----------------------------------------------------------------------------
    def start(self, user_id: str, *, now: float) -> Session:
        """A new session with a fresh id (≈32 chars) and CSRF token (≈36 chars)."""
        session = Session(secrets.token_urlsafe(24), user_id, secrets.token_urlsafe(27), now, now)
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?)",
                (session.sid, user_id, session.csrf_token, now, now),
            )
        return session

    def expired(self, session: Session, now: float) -> bool:
        return now - session.last_seen >= self.inactivity or now - session.created >= self.max_age

    def resume(self, sid: str, *, now: float) -> tuple[Session | None, str]:
        """The live session ``sid`` with its last use moved to ``now``, or None and why.

        The reason is ``unknown_session`` or ``session_expired`` (the session is then deleted).
        """
        with self._db.transaction() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE sid = ?", (sid,)).fetchone()
            if row is None:
                return None, "unknown_session"
            session = Session.from_row(row)
            if self.expired(session, now):
                conn.execute("DELETE FROM sessions WHERE sid = ?", (sid,))
                return None, "session_expired"
            conn.execute("UPDATE sessions SET last_seen = ? WHERE sid = ?", (now, sid))
        return Session(session.sid, session.user_id, session.csrf_token, session.created, now), ""

    def end(self, sid: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE sid = ?", (sid,))

    def count(self) -> int:
        row = self._db.one("SELECT count(*) AS n FROM sessions")
        return int(row["n"]) if row else 0

    # --- jti replay ---------------------------------------------------------------------------
    def jti_used(self, issuer: str, jti: str, *, now: float) -> bool:
        row = self._db.one(
            "SELECT 1 FROM consumed_jtis WHERE issuer = ? AND jti = ? AND expires > ?",
            (issuer, jti, now),
        )
        return row is not None

    def consume_jti(
        self, conn: sqlite3.Connection, issuer: str, jti: str, *, expires: float, now: float
    ) -> bool:
        """Record ``(issuer, jti)`` in the caller's transaction; False if it was already used.

        The primary key makes this race-free: of two concurrent logins with one ``jti``,
        exactly one inserts. Expired records are dropped first.
        """
        conn.execute("DELETE FROM consumed_jtis WHERE expires <= ?", (now,))
        try:
            conn.execute("INSERT INTO consumed_jtis VALUES (?,?,?)", (issuer, jti, expires))
        except sqlite3.IntegrityError:
            return False
        return True

    # --- interactive login states -------------------------------------------------------------
    def begin_login(self, returnto: str, *, now: float) -> str:
        state = secrets.token_urlsafe(16)
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM login_states WHERE created < ?", (now - 3600,))
            conn.execute("INSERT INTO login_states VALUES (?,?,?)", (state, returnto, now))
        return state

    def finish_login(self, state: str) -> str | None:
        """The returnto of a pending login, consumed; None if unknown or already used."""
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT returnto FROM login_states WHERE state = ?", (state,)
            ).fetchone()
            conn.execute("DELETE FROM login_states WHERE state = ?", (state,))
        return str(row["returnto"]) if row else None
