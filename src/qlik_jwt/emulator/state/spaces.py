"""Spaces, their member assignments, and the items (apps) that live in them.

Qlik's access model for the emulator: a user may open an app when the app's space assigns
any role to the user or to one of the user's groups. The administrator opens everything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.db import Database, from_json, new_id, to_json
from qlik_jwt.emulator.state.users import User

__all__ = ["ROLES", "SPACE_TYPES", "Assignment", "Item", "Space", "Spaces"]

SPACE_TYPES = ("shared", "managed", "data")
ROLES = (
    "basicconsumer",
    "codeveloper",
    "consumer",
    "contributor",
    "dataconsumer",
    "facilitator",
    "operator",
    "producer",
    "publisher",
)


@dataclass(frozen=True)
class Space:
    id: str
    name: str
    type: str
    description: str
    owner_id: str
    created: float
    updated: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Space:
        return cls(
            row["id"],
            row["name"],
            row["type"],
            row["description"],
            row["owner_id"],
            row["created"],
            row["updated"],
        )


@dataclass(frozen=True)
class Assignment:
    id: str
    space_id: str
    type: str
    assignee_id: str
    roles: list[str]
    created_by: str
    created: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Assignment:
        return cls(
            row["id"],
            row["space_id"],
            row["type"],
            row["assignee_id"],
            from_json(row["roles"]),
            row["created_by"],
            row["created"],
        )


@dataclass(frozen=True)
class Item:
    id: str
    resource_id: str
    resource_type: str
    name: str
    space_id: str
    owner_id: str
    created: float
    updated: float

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Item:
        return cls(
            row["id"],
            row["resource_id"],
            row["resource_type"],
            row["name"],
            row["space_id"],
            row["owner_id"],
            row["created"],
            row["updated"],
        )


class Spaces:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- spaces -------------------------------------------------------------------------------
    def create(
        self, name: str, space_type: str, description: str, *, owner_id: str, now: float
    ) -> Space:
        """A new space; 400 for an empty name, 409 when the name is taken."""
        if not name.strip():
            raise QlikError(
                400, detail="name is empty; give the space a name.", reason="invalid_request"
            )
        with self._db.transaction() as conn:
            if conn.execute("SELECT 1 FROM spaces WHERE name = ?", (name,)).fetchone():
                raise QlikError(
                    409,
                    detail=f"A space named {name!r} exists; names are unique in a tenant.",
                    reason="duplicate_name",
                )
            space_id = new_id()
            conn.execute(
                "INSERT INTO spaces VALUES (?,?,?,?,?,?,?)",
                (space_id, name, space_type, description, owner_id, now, now),
            )
        return self.get(space_id)

    def all(self) -> list[Space]:
        rows = self._db.query("SELECT * FROM spaces ORDER BY created, rowid")
        return [Space.from_row(r) for r in rows]

    def by_name(self, name: str) -> Space | None:
        row = self._db.one("SELECT * FROM spaces WHERE name = ?", (name,))
        return Space.from_row(row) if row else None

    def get(self, space_id: str) -> Space:
        row = self._db.one("SELECT * FROM spaces WHERE id = ?", (space_id,))
        if row is None:
            raise QlikError(404, detail=f"No space with id {space_id!r}.", reason="not_found")
        return Space.from_row(row)

    # --- assignments --------------------------------------------------------------------------
    def assign(
        self,
        space_id: str,
        assignee_type: str,
        assignee_id: str,
        roles: Sequence[str],
        *,
        created_by: str,
        now: float,
    ) -> Assignment:
        """Give a group or user roles in a space; 404 unknown space/assignee, 409 twice."""
        table = "groups" if assignee_type == "group" else "users"
        with self._db.transaction() as conn:
            self.get(space_id)
            if not conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (assignee_id,)).fetchone():  # noqa: S608
                raise QlikError(
                    404,
                    detail=f"assigneeId: no {assignee_type} with id {assignee_id!r}.",
                    reason="not_found",
                )
            clash = conn.execute(
                "SELECT id FROM space_assignments WHERE space_id = ? AND type = ? "
                "AND assignee_id = ?",
                (space_id, assignee_type, assignee_id),
            ).fetchone()
            if clash:
                raise QlikError(
                    409,
                    detail=f"Assignment {clash['id']} already gives this {assignee_type} "
                    "roles in the space.",
                    reason="duplicate_assignment",
                )
            assignment_id = new_id()
            conn.execute(
                "INSERT INTO space_assignments VALUES (?,?,?,?,?,?,?)",
                (
                    assignment_id,
                    space_id,
                    assignee_type,
                    assignee_id,
                    to_json(list(roles)),
                    created_by,
                    now,
                ),
            )
        return self.assignment(space_id, assignment_id)

    def assignments(self, space_id: str) -> list[Assignment]:
        self.get(space_id)
        rows = self._db.query(
            "SELECT * FROM space_assignments WHERE space_id = ? ORDER BY created, rowid",
            (space_id,),
        )
        return [Assignment.from_row(r) for r in rows]

    def assignment(self, space_id: str, assignment_id: str) -> Assignment:
        row = self._db.one(
            "SELECT * FROM space_assignments WHERE space_id = ? AND id = ?",
            (space_id, assignment_id),
        )
        if row is None:
            self.get(space_id)
            raise QlikError(
                404, detail=f"No assignment with id {assignment_id!r}.", reason="not_found"
            )
        return Assignment.from_row(row)

    def unassign(self, space_id: str, assignment_id: str) -> None:
        with self._db.transaction() as conn:
            self.assignment(space_id, assignment_id)
            conn.execute("DELETE FROM space_assignments WHERE id = ?", (assignment_id,))

    # --- items and access ---------------------------------------------------------------------
    def add_app(self, app_id: str, name: str, space_id: str, *, owner_id: str, now: float) -> Item:
        """List app ``app_id`` in a space (idempotent: an app already listed is kept)."""
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO items VALUES (?,?,?,?,?,?,?,?)",
                (new_id(), app_id, "app", name, space_id, owner_id, now, now),
            )
        row = self._db.one("SELECT * FROM items WHERE resource_id = ?", (app_id,))
        assert row is not None
        return Item.from_row(row)

    def items(self) -> list[Item]:
        rows = self._db.query("SELECT * FROM items ORDER BY created, rowid")
        return [Item.from_row(r) for r in rows]

    def can_open(self, user: User, app_id: str) -> bool:
        """True when ``user`` may open app ``app_id`` (False for an app not listed)."""
        if user.is_admin:
            return self._db.one("SELECT 1 FROM items WHERE resource_id = ?", (app_id,)) is not None
        row = self._db.one(
            "SELECT 1 FROM items i JOIN space_assignments a ON a.space_id = i.space_id "
            "WHERE i.resource_id = ? AND ("
            "  (a.type = 'user' AND a.assignee_id = ?) OR"
            "  (a.type = 'group' AND a.assignee_id IN "
            "     (SELECT group_id FROM user_groups WHERE user_id = ?)))",
            (app_id, user.id, user.id),
        )
        return row is not None
