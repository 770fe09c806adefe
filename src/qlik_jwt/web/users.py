"""The host app's users: who may sign in to the web app, and the Qlik identity each one gets.

A user's ``subject`` becomes the token's ``sub`` and never changes (Qlik finds users by
subject; a new subject would create a new Qlik user). ``email_verified`` is stored per user
and is ``True`` only for addresses the host app has verified.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from qlik_jwt.errors import ConfigurationError
from qlik_jwt.signer import UserClaims
from qlik_jwt.web.database import Database
from qlik_jwt.web.passwords import dummy_hash, hash_password, verify_password

__all__ = ["DEMO_USERS", "DemoUser", "User", "UserStore"]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class User:
    """A host-app user as stored (never holds the password or its hash)."""

    id: int
    username: str
    subject: str
    name: str
    email: str
    email_verified: bool
    groups: tuple[str, ...]

    def claims(self) -> UserClaims:
        """The identity a Qlik token carries for this user."""
        return UserClaims(self.subject, self.name, self.email, self.email_verified, self.groups)


@dataclass(frozen=True)
class DemoUser:
    """A seeded demo account; ``password`` is printed by ``qlik-jwt demo``."""

    username: str
    password: str
    name: str
    email: str
    email_verified: bool
    groups: tuple[str, ...] = field(default=())
    note: str = ""


DEMO_USERS = (
    DemoUser(
        "ada",
        "ada-demo",
        "Ada Lovelace",
        "ada@example.com",
        True,
        ("Finance",),
        "group Finance: may open the sample app",
    ),
    DemoUser(
        "grace",
        "grace-demo",
        "Grace Hopper",
        "grace@example.org",
        False,
        ("Finance", "Engineering"),
        "may open the sample app; e-mail not verified",
    ),
    DemoUser(
        "eve",
        "eve-demo",
        "Eve Example",
        "eve@example.net",
        True,
        ("Marketing",),
        "group Marketing: NOT granted the sample app",
    ),
)


def _row_to_user(row: sqlite3.Row) -> User:
    return User(
        id=int(row["id"]),
        username=str(row["username"]),
        subject=str(row["subject"]),
        name=str(row["name"]),
        email=str(row["email"]),
        email_verified=bool(row["email_verified"]),
        groups=tuple(json.loads(row["groups_json"])),
    )


class UserStore:
    """Users in the web app's SQLite database, with scrypt-hashed passwords."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(
        self,
        username: str,
        password: str,
        *,
        name: str,
        email: str,
        email_verified: bool,
        groups: Iterable[str] = (),
        subject: str | None = None,
    ) -> User:
        """Create a user; ``subject`` defaults to ``web|<username>``.

        Raises ConfigurationError for an invalid user name, empty password, claims Qlik would
        refuse (via :class:`UserClaims`), or a user name or subject already taken.
        """
        if not USERNAME.match(username):
            raise ConfigurationError(
                "username",
                "must be 1-64 lower-case letters, digits, '.', '_' or '-'",
                username,
                "Choose another user name, e.g. 'ada'.",
            )
        if not password:
            raise ConfigurationError("password", "is empty", None, "Give a password.")
        subject = subject or f"web|{username}"
        claims = UserClaims(subject, name, email, email_verified, tuple(groups))
        try:
            with self.database.transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO users (username, subject, name, email, email_verified, "
                    "groups_json, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        username,
                        claims.sub,
                        claims.name,
                        claims.email,
                        int(claims.email_verified),
                        json.dumps(list(claims.groups)),
                        hash_password(password),
                    ),
                )
        except sqlite3.IntegrityError:
            raise ConfigurationError(
                "username",
                "or its subject is already taken",
                username,
                "Choose another user name, or keep the existing user.",
            ) from None
        user_id = cursor.lastrowid
        assert user_id is not None
        return User(user_id, username, subject, name, email, email_verified, claims.groups)

    def seed(self, demo_users: Iterable[DemoUser] = DEMO_USERS) -> list[User]:
        """Add each demo user that does not exist yet; return all of them as stored."""
        seeded = []
        for demo in demo_users:
            user = self.by_username(demo.username)
            if user is None:
                user = self.add(
                    demo.username,
                    demo.password,
                    name=demo.name,
                    email=demo.email,
                    email_verified=demo.email_verified,
                    groups=demo.groups,
                    subject=f"demo|{demo.username}",
                )
            seeded.append(user)
        return seeded

    def by_username(self, username: str) -> User | None:
        rows = self.database.query("SELECT * FROM users WHERE username = ?", (username,))
        return _row_to_user(rows[0]) if rows else None

    def get(self, user_id: int) -> User | None:
        rows = self.database.query("SELECT * FROM users WHERE id = ?", (user_id,))
        return _row_to_user(rows[0]) if rows else None

    def count(self) -> int:
        return int(self.database.query("SELECT COUNT(*) AS n FROM users")[0]["n"])

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None. Costs one scrypt run either way."""
        rows = self.database.query(
            "SELECT *, password_hash FROM users WHERE username = ?", (username,)
        )
        if not rows:
            verify_password(password, dummy_hash())
            return None
        if not verify_password(password, str(rows[0]["password_hash"])):
            return None
        return _row_to_user(rows[0])
