"""The web app's SQLite database: one file holding the host app's users and sign-in sessions.

One connection per :class:`Database`, serialised by a lock; every change runs in one
transaction (:meth:`Database.transaction`), so a failure leaves nothing half-written.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qlik_jwt.errors import ConfigurationError
from qlik_jwt.private_files import private_file

__all__ = ["Database"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_verified INTEGER NOT NULL,
    groups_json TEXT NOT NULL,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions(expires_at);
"""


class Database:
    """An open SQLite database at ``path`` (``":memory:"`` for tests) with ``schema``
    (default: the users and sessions above).

    A new file is created readable by its owner only (its folder too): it holds secrets,
    ``what`` says which, for the warning about an existing one readable by others. Raises
    ConfigurationError naming ``setting`` (with ``fix``) when the file cannot be opened or
    created.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        schema: str = SCHEMA,
        setting: str = "users_db",
        fix: str = "Set QLIK_USERS_DB to a writable file path.",
        what: str = "the users database",
    ) -> None:
        self.path = path
        try:
            if str(path) != ":memory:":
                private_file(path, what, sqlite=True)
            self._conn = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=10
            )
            self._conn.execute("PRAGMA foreign_keys = ON")
            # Deleted rows (sessions, their secrets) are overwritten with zeros, not left
            # in free pages; see checkpoint() for the write-ahead log.
            self._conn.execute("PRAGMA secure_delete = ON")
            if str(path) != ":memory:":
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.executescript(schema)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                setting,
                f"cannot be opened as an SQLite database ({exc})",
                str(path),
                fix,
            ) from None
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside ``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        """Rows of one read-only statement."""
        with self._lock:
            cursor = self._conn.execute(sql, params)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and empty it, so that what was deleted
        (and zeroed) leaves the ``-wal`` file too. A reader holding an old snapshot can
        delay this; the next checkpoint finishes it."""
        if str(self.path) == ":memory:":
            return
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
