"""The emulator's SQLite database: schema, one connection, and transactions.

One connection is shared by every thread behind a re-entrant lock; every write happens in
:meth:`Database.transaction` (``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any
exception), so a refused request never leaves state half-written. Nested ``transaction()``
calls join the outer one. Files use WAL journaling, so a second process reading the same
file (another emulator, a debugging ``sqlite3`` shell) does not block writers, and are
created readable by their owner only (:mod:`qlik_jwt.private_files`).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from qlik_jwt.private_files import private_file

__all__ = ["Database", "from_json", "iso", "new_id", "new_key", "to_json"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS tenant (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    tenant_id TEXT NOT NULL,
    cookie_secret TEXT NOT NULL,
    auto_create_groups INTEGER NOT NULL DEFAULT 0,
    sync_idp_groups INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_providers (
    id TEXT PRIMARY KEY,
    issuer TEXT NOT NULL,
    kid TEXT NOT NULL,
    pem TEXT NOT NULL,
    clock_tolerance INTEGER NOT NULL,
    active INTEGER NOT NULL,
    interactive INTEGER NOT NULL,
    jwt_login_enabled INTEGER NOT NULL,
    description TEXT NOT NULL,
    tenant_ids TEXT NOT NULL,
    created REAL NOT NULL,
    last_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS web_integrations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    valid_origins TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created REAL NOT NULL,
    last_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS csp_origins (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL UNIQUE,
    scheme TEXT,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    directives TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_verified INTEGER NOT NULL,
    status TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    last_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS groups (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    last_updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS user_groups (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE TABLE IF NOT EXISTS spaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    description TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS space_assignments (
    id TEXT PRIMARY KEY,
    space_id TEXT NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (space_id, type, assignee_id)
);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL UNIQUE,
    resource_type TEXT NOT NULL,
    name TEXT NOT NULL,
    space_id TEXT NOT NULL REFERENCES spaces(id),
    owner_id TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS consumed_jtis (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (issuer, jti)
);
-- Every login drops the expired records first: without this index, a full scan of them all.
CREATE INDEX IF NOT EXISTS consumed_jtis_expiry ON consumed_jtis (expires);
-- Replaced by access_tokens (which names the user and purpose); its tokens were short-lived.
DROP TABLE IF EXISTS oauth_tokens;
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    client_name TEXT NOT NULL,
    app_type TEXT NOT NULL,
    description TEXT NOT NULL,
    client_uri TEXT NOT NULL,
    allowed_grant_types TEXT NOT NULL,
    allowed_scopes TEXT NOT NULL,
    allowed_origins TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    consent_method TEXT NOT NULL,
    token_lifetime_minutes INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_client_secrets (
    secret_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES oauth_clients(client_id) ON DELETE CASCADE,
    hint TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created REAL NOT NULL
);
-- user_id NULL: a client-credentials token (the administrator's); parent: the access token
-- an exchanged (websocket/webresource) token came from, revoked with it.
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    scope TEXT NOT NULL,
    parent TEXT,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS access_tokens_user ON access_tokens (user_id, expires);
CREATE TABLE IF NOT EXISTS custom_groups (
    group_id TEXT PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS login_states (
    state TEXT PRIMARY KEY,
    returnto TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS directory_users (
    subject TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    groups TEXT NOT NULL
);
"""

_ALPHABET = string.ascii_letters + string.digits


def new_id() -> str:
    """A 24-hex-digit id, the shape of Qlik's user, group, space and provider ids."""
    return secrets.token_hex(12)


def new_key(length: int = 32) -> str:
    """A random alphanumeric id, the shape of web integration and tenant ids."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def iso(timestamp: float) -> str:
    """``2024-02-05T12:00:00.000Z`` for a UNIX time, as Qlik's APIs write dates."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def from_json(text: str) -> Any:
    return json.loads(text)


class Database:
    """The state file (or ``":memory:"``), safe to use from any thread."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        if path != ":memory:":
            # it holds the cookie secret, sessions and users
            private_file(path, "the emulator's state", sqlite=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:":
            self._conn.execute("PRAGMA busy_timeout = 5000")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        with self._lock:  # executescript commits on its own, so the script holds BEGIN/COMMIT
            self._conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}COMMIT;")

    def function(self, name: str, function: Callable[[Any], Any]) -> None:
        """Make ``function`` (one argument, deterministic) callable as ``name`` in SQL."""
        with self._lock:
            self._conn.create_function(name, 1, function, deterministic=True)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Rows of one read-only statement."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """The first row of one read-only statement, or None."""
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
            return row

    def close(self) -> None:
        with self._lock:
            self._conn.close()
