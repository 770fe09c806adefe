"""The tenant itself: its id, the secret that signs its cookies, and its group settings.

Created once per database, so a restart on the same file keeps the tenant id and every
session cookie valid.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from qlik_jwt.emulator.state.db import Database, new_key

__all__ = ["GroupSettings", "TenantRecord", "ensure_tenant", "group_settings", "set_group_settings"]


@dataclass(frozen=True)
class TenantRecord:
    tenant_id: str
    cookie_secret: str = ""

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"TenantRecord(tenant_id={self.tenant_id!r})"


@dataclass(frozen=True)
class GroupSettings:
    auto_create_groups: bool
    sync_idp_groups: bool


def ensure_tenant(db: Database, now: float) -> TenantRecord:
    """The tenant row, created with a fresh id and cookie secret on the first start."""
    with db.transaction() as conn:
        row = conn.execute("SELECT tenant_id, cookie_secret FROM tenant").fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO tenant (one, tenant_id, cookie_secret, created) VALUES (1, ?, ?, ?)",
                (new_key(32), secrets.token_urlsafe(48), now),
            )
            row = conn.execute("SELECT tenant_id, cookie_secret FROM tenant").fetchone()
    return TenantRecord(row["tenant_id"], row["cookie_secret"])


def group_settings(db: Database) -> GroupSettings:
    row = db.one("SELECT auto_create_groups, sync_idp_groups FROM tenant")
    assert row is not None, "ensure_tenant() runs at start"
    return GroupSettings(bool(row["auto_create_groups"]), bool(row["sync_idp_groups"]))


def set_group_settings(db: Database, settings: GroupSettings) -> None:
    with db.transaction() as conn:
        conn.execute(
            "UPDATE tenant SET auto_create_groups = ?, sync_idp_groups = ?",
            (int(settings.auto_create_groups), int(settings.sync_idp_groups)),
        )
