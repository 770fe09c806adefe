"""Proxy sessions in an SQLite file: the default store, for one app instance (any workers
of one machine share the file).

The file is created readable by its owner only: it holds Qlik's session cookies. Calls run
in a worker thread so the event loop never waits on the disk. Expired rows are skipped when
read and purged when written. A deleted session (sign-out) is overwritten with zeros and
the write-ahead log emptied, so neither the file nor its ``-wal`` keeps its cookies.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from qlik_jwt.web.database import Database
from qlik_jwt.web.proxy.store import ProxySession, SessionStoreError

__all__ = ["SqliteSessionStore"]

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS proxy_sessions (
    key TEXT PRIMARY KEY,
    session_json TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS proxy_sessions_expiry ON proxy_sessions(expires_at);
"""


class SqliteSessionStore:
    """Sessions in the SQLite file ``path`` (``":memory:"`` for tests).

    Raises ConfigurationError naming ``proxy_session_store`` when the file cannot be opened.
    """

    def __init__(self, path: str, *, lifetime: int, clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self.database = Database(
            path,
            schema=SCHEMA,
            setting="proxy_session_store",
            fix="Set QLIK_PROXY_SESSION_STORE to sqlite:///<a writable file path>.",
            what="the proxy session store (Qlik session cookies)",
        )

    async def get(self, key: str) -> ProxySession | None:
        rows = await self._run(
            self.database.query,
            "SELECT session_json FROM proxy_sessions WHERE key = ? AND expires_at > ?",
            (key, self.clock()),
        )
        return ProxySession.from_json(rows[0]["session_json"]) if rows else None

    async def put(self, key: str, session: ProxySession) -> None:
        await self._run(self._put, key, session.to_json())

    async def delete(self, key: str) -> None:
        await self._run(self._delete, key)

    async def close(self) -> None:
        self.database.close()

    def _put(self, key: str, text: str) -> None:
        now = self.clock()
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM proxy_sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT OR REPLACE INTO proxy_sessions (key, session_json, expires_at) "
                "VALUES (?, ?, ?)",
                (key, text, now + self.lifetime),
            )

    def _delete(self, key: str) -> None:
        with self.database.transaction() as conn:
            conn.execute("DELETE FROM proxy_sessions WHERE key = ?", (key,))
        self.database.checkpoint()

    async def _run(self, function: Callable[..., T], *args: object) -> T:
        try:
            return await asyncio.to_thread(function, *args)
        except sqlite3.Error as exc:
            raise SessionStoreError(
                f"the proxy session store {self.database.path} failed ({exc})"
            ) from None
