"""Users and groups: created just in time by logins, matched by subject.

Identity-provider groups exist once a login carried them while ``autoCreateGroups`` was
on, or once created through the API; custom groups are created through the API and
assigned with ``PATCH /api/v1/users/{id}`` (``/assignedGroups``). A user's groups from
the identity provider are replaced at every login (``merge_groups`` adds instead); custom
groups stay. The emulator's own administrator is a user too, so
``users/me`` answers for the admin key as it does for a session.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.db import Database, from_json, new_id, to_json
from qlik_jwt.errors import ConfigurationError

__all__ = ["ADMIN_SUBJECT", "DirectoryUser", "Group", "LoginProfile", "User", "Users"]

ADMIN_SUBJECT = "qlik-jwt-emulator|admin"


@dataclass(frozen=True)
class Group:
    """A group: ``provider_type`` ``idp`` (from logins) or ``custom`` (made through the API,
    kept by logins, which replace only the identity provider's groups)."""

    id: str
    name: str
    created: float
    last_updated: float
    provider_type: str = "idp"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Group:
        custom = "custom" if row["custom"] else "idp"
        return cls(row["id"], row["name"], row["created"], row["last_updated"], custom)


@dataclass(frozen=True)
class User:
    id: str
    subject: str
    name: str
    email: str
    email_verified: bool
    status: str
    is_admin: bool
    created: float
    last_updated: float
    groups: list[Group] = field(default_factory=list)


@dataclass(frozen=True)
class LoginProfile:
    """What a login says about its user (claims of a JWT, or the sign-in page's form)."""

    subject: str
    name: str
    email: str
    email_verified: bool
    groups: Sequence[str] = ()


@dataclass(frozen=True)
class DirectoryUser:
    """A person offered on the interactive sign-in page."""

    subject: str
    name: str
    email: str
    groups: list[str]

    @classmethod
    def parse(cls, text: str) -> DirectoryUser:
        """``SUBJECT;NAME;EMAIL[;GROUP,GROUP...]`` (a subject may hold ``|``, so ``;`` splits).

        Raises ConfigurationError naming the flag when a part is missing.
        """
        parts = [part.strip() for part in text.split(";")]
        if len(parts) not in (3, 4) or not all(parts[:3]):
            raise ConfigurationError(
                "--user",
                "must be SUBJECT;NAME;EMAIL or SUBJECT;NAME;EMAIL;GROUP,GROUP",
                text,
                "For example: --user 'app|42;Ada Lovelace;ada@example.com;Finance,Sales'.",
            )
        groups = [g.strip() for g in parts[3].split(",") if g.strip()] if len(parts) == 4 else []
        return cls(parts[0], parts[1], parts[2], groups)


def email_key(email: object) -> object:
    """What two e-mails must share to be one person's: trimmed, NFKC, case-folded (Unicode,
    not only ASCII as SQL's lower()). Qlik does not document its comparison."""
    if not isinstance(email, str):
        return email
    return unicodedata.normalize("NFKC", email).strip().casefold()


class Users:
    def __init__(self, db: Database) -> None:
        self._db = db
        db.function("email_key", email_key)

    # --- reading ------------------------------------------------------------------------------
    def _with_groups(self, row: sqlite3.Row) -> User:
        groups = self._db.query(
            "SELECT g.*, c.group_id IS NOT NULL AS custom FROM groups g "
            "JOIN user_groups ug ON ug.group_id = g.id "
            "LEFT JOIN custom_groups c ON c.group_id = g.id "
            "WHERE ug.user_id = ? ORDER BY g.name",
            (row["id"],),
        )
        return User(
            row["id"],
            row["subject"],
            row["name"],
            row["email"],
            bool(row["email_verified"]),
            row["status"],
            bool(row["is_admin"]),
            row["created"],
            row["last_updated"],
            [Group.from_row(g) for g in groups],
        )

    def find(self, user_id: str) -> User | None:
        row = self._db.one("SELECT * FROM users WHERE id = ?", (user_id,))
        return self._with_groups(row) if row else None

    def get(self, user_id: str) -> User:
        user = self.find(user_id)
        if user is None:
            raise QlikError(404, detail=f"No user with id {user_id!r}.", reason="not_found")
        return user

    def by_subject(self, subject: str) -> User | None:
        row = self._db.one("SELECT * FROM users WHERE subject = ?", (subject,))
        return self._with_groups(row) if row else None

    def all(self) -> list[User]:
        rows = self._db.query("SELECT * FROM users ORDER BY created, rowid")
        return [self._with_groups(r) for r in rows]

    # --- writing ------------------------------------------------------------------------------
    def ensure_admin(self, *, now: float) -> User:
        """The emulator's administrator (the admin key's and OAuth client's user)."""
        with self._db.transaction() as conn:
            if self.by_subject(ADMIN_SUBJECT) is None:
                conn.execute(
                    "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        new_id(),
                        ADMIN_SUBJECT,
                        "Emulator administrator",
                        "admin@emulator.invalid",
                        1,
                        "active",
                        1,
                        now,
                        now,
                    ),
                )
        admin = self.by_subject(ADMIN_SUBJECT)
        assert admin is not None
        return admin

    def create(self, subject: str, name: str, email: str, *, status: str, now: float) -> User:
        """Pre-create a user (as ``POST /api/v1/users`` does); 409 for a known subject."""
        with self._db.transaction() as conn:
            if self.by_subject(subject) is not None:
                raise QlikError(
                    409, detail=f"A user with subject {subject!r} exists.", reason="duplicate"
                )
            user_id = new_id()
            conn.execute(
                "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?)",
                (user_id, subject, name, email, 1, status, 0, now, now),
            )
        return self.get(user_id)

    def delete(self, user_id: str) -> None:
        """Delete a user with their sessions and memberships; 404 unknown, 400 the admin."""
        with self._db.transaction() as conn:
            if self.get(user_id).is_admin:
                raise QlikError(
                    400,
                    detail="The emulator's administrator cannot be deleted.",
                    reason="cannot_delete_admin",
                )
            conn.execute("DELETE FROM users WHERE id = ?", (user_id,))

    def login(
        self,
        profile: LoginProfile,
        *,
        now: float,
        auto_create_groups: bool,
        merge_groups: bool,
        refuse_duplicate_email: bool,
    ) -> User:
        """Create or refresh the user for ``profile`` and set their identity-provider groups.

        Runs inside the caller's transaction when there is one. Raises QlikError 403
        ``administrator_login`` for the administrator's subject (it has no sessions), 400
        ``LOGIN-12`` for a new subject whose e-mail an active user already has (when
        ``refuse_duplicate_email``). Groups that do not exist are created only with
        ``auto_create_groups``; otherwise they are dropped.
        """
        with self._db.transaction() as conn:
            existing = self.by_subject(profile.subject)
            if existing is not None and existing.is_admin:
                raise QlikError(
                    403,
                    detail=f"Subject {profile.subject!r} is the emulator's administrator, who "
                    "is reached with the admin key or the OAuth client only, never by a login; "
                    "sign in as another user.",
                    reason="administrator_login",
                )
            if existing is None:
                if refuse_duplicate_email and email_key(profile.email):
                    clash = conn.execute(
                        "SELECT id FROM users WHERE email_key(email) = ? AND status = 'active'",
                        (email_key(profile.email),),
                    ).fetchone()
                    if clash:
                        raise QlikError(
                            400,
                            "LOGIN-12",
                            "Multiple active users detected with the same e-mail, please "
                            "contact your administrator",
                            f"User {clash['id']} already has this e-mail; keep each person's "
                            "sub stable, or delete the old user.",
                            reason="duplicate_email",
                        )
                user_id = new_id()
                conn.execute(
                    "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        user_id,
                        profile.subject,
                        profile.name,
                        profile.email,
                        int(profile.email_verified),
                        "active",
                        0,
                        now,
                        now,
                    ),
                )
            else:
                user_id = existing.id
                conn.execute(
                    "UPDATE users SET name = ?, email = ?, email_verified = ?, last_updated = ? "
                    "WHERE id = ?",
                    (profile.name, profile.email, int(profile.email_verified), now, user_id),
                )
            group_ids = []
            for name in dict.fromkeys(profile.groups):
                row = conn.execute("SELECT id FROM groups WHERE name = ?", (name,)).fetchone()
                if row is None and auto_create_groups:
                    group_id = new_id()
                    conn.execute("INSERT INTO groups VALUES (?,?,?,?)", (group_id, name, now, now))
                    group_ids.append(group_id)
                elif row is not None:
                    group_ids.append(row["id"])
            if not merge_groups:
                conn.execute(
                    "DELETE FROM user_groups WHERE user_id = ? AND group_id NOT IN "
                    "(SELECT group_id FROM custom_groups)",
                    (user_id,),
                )
            conn.executemany(
                "INSERT OR IGNORE INTO user_groups VALUES (?, ?)",
                [(user_id, group_id) for group_id in group_ids],
            )
        return self.get(user_id)

    # --- groups -------------------------------------------------------------------------------
    def groups(self) -> list[Group]:
        rows = self._db.query(
            "SELECT g.*, c.group_id IS NOT NULL AS custom FROM groups g "
            "LEFT JOIN custom_groups c ON c.group_id = g.id ORDER BY g.created, g.rowid"
        )
        return [Group.from_row(r) for r in rows]

    def group(self, group_id: str) -> Group:
        row = self._db.one(
            "SELECT g.*, c.group_id IS NOT NULL AS custom FROM groups g "
            "LEFT JOIN custom_groups c ON c.group_id = g.id WHERE g.id = ?",
            (group_id,),
        )
        if row is None:
            raise QlikError(404, detail=f"No group with id {group_id!r}.", reason="not_found")
        return Group.from_row(row)

    def create_group(self, name: str, *, provider_type: str, now: float) -> Group:
        """A new group (``POST /api/v1/groups``); 409 when the name is taken."""
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM groups WHERE name = ?", (name,)).fetchone():
                raise QlikError(409, detail=f"A group named {name!r} exists.", reason="duplicate")
            group_id = new_id()
            conn.execute("INSERT INTO groups VALUES (?,?,?,?)", (group_id, name, now, now))
            if provider_type == "custom":
                conn.execute("INSERT INTO custom_groups VALUES (?)", (group_id,))
        return self.group(group_id)

    def set_groups(self, user_id: str, group_ids: Sequence[str], *, now: float) -> User:
        """Replace the user's groups with ``group_ids`` (each must exist: 400 otherwise)."""
        with self._db.transaction() as conn:
            self.get(user_id)
            for group_id in group_ids:
                if not conn.execute("SELECT 1 FROM groups WHERE id = ?", (group_id,)).fetchone():
                    raise QlikError(
                        400,
                        detail=f"assignedGroups: no group with id {group_id!r}; create it "
                        "first (POST /api/v1/groups).",
                        reason="invalid_patch",
                    )
            conn.execute("DELETE FROM user_groups WHERE user_id = ?", (user_id,))
            conn.executemany(
                "INSERT OR IGNORE INTO user_groups VALUES (?, ?)",
                [(user_id, group_id) for group_id in group_ids],
            )
            conn.execute("UPDATE users SET last_updated = ? WHERE id = ?", (now, user_id))
        return self.get(user_id)

    def update(self, user_id: str, *, name: str | None, status: str | None, now: float) -> User:
        """Change the user's name or status (``active`` / ``disabled``)."""
        with self._db.transaction() as conn:
            user = self.get(user_id)
            if user.is_admin and status == "disabled":
                raise QlikError(
                    400,
                    detail="The emulator's administrator cannot be disabled.",
                    reason="invalid_patch",
                )
            conn.execute(
                "UPDATE users SET name = ?, status = ?, last_updated = ? WHERE id = ?",
                (name or user.name, status or user.status, now, user_id),
            )
        return self.get(user_id)

    # --- the interactive sign-in page's people ------------------------------------------------
    def directory(self) -> list[DirectoryUser]:
        rows = self._db.query("SELECT * FROM directory_users ORDER BY rowid")
        return [
            DirectoryUser(r["subject"], r["name"], r["email"], from_json(r["groups"])) for r in rows
        ]

    def in_directory(self, subject: str) -> DirectoryUser | None:
        """The person the sign-in page offers under ``subject``, or None."""
        r = self._db.one("SELECT * FROM directory_users WHERE subject = ?", (subject,))
        return (
            DirectoryUser(r["subject"], r["name"], r["email"], from_json(r["groups"]))
            if r
            else None
        )

    def add_to_directory(self, person: DirectoryUser) -> None:
        """Offer ``person`` on the sign-in page (replacing one with the same subject)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO directory_users VALUES (?,?,?,?)",
                (person.subject, person.name, person.email, to_json(person.groups)),
            )
