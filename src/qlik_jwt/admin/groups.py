"""Groups and their tenant settings (``/api/v1/groups``, reference §1.6 and §4.5).

Qlik creates a group the first time a login carries its name, and only while
``autoCreateGroups`` is on; there is no other way to create one. So a group that nobody has
logged in with yet is bootstrapped: a throw-away user logs in carrying the group, which
creates it, and is deleted afterwards.
"""

from __future__ import annotations

import secrets
from typing import Any

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.login import jwt_login
from qlik_jwt.admin.plan import Step
from qlik_jwt.errors import TenantError
from qlik_jwt.signer import TokenSigner, UserClaims

__all__ = [
    "BOOTSTRAP_SUBJECT_PREFIX",
    "bootstrap_group",
    "delete_user",
    "enable_auto_create_groups",
    "find_group",
    "group_settings",
    "plan_auto_create_groups",
]

PATH = "/api/v1/groups"
SETTINGS_PATH = "/api/v1/groups/settings"
BOOTSTRAP_SUBJECT_PREFIX = "qlik-jwt-bootstrap-"
_AUTO_CREATE = ("autoCreateGroups", "syncIdpGroups")
_AUTO_CREATE_OPS = [{"op": "replace", "path": f"/{name}", "value": True} for name in _AUTO_CREATE]


def group_settings(client: TenantClient) -> dict[str, Any]:
    """The tenant's group settings (``autoCreateGroups``, ``syncIdpGroups``, ...)."""
    found = client.get(SETTINGS_PATH)
    return dict(found) if isinstance(found, dict) else {}


def plan_auto_create_groups(client: TenantClient) -> Step:
    """Plan turning on ``autoCreateGroups`` and ``syncIdpGroups`` (what Qlik's scripts do)."""
    current = group_settings(client)
    off = [name for name in _AUTO_CREATE if current.get(name) is not True]
    if not off:
        return Step("group_settings", "tenant", "keep", "auto-creation is on", lambda: None)

    def enable() -> None:
        client.patch(SETTINGS_PATH, _AUTO_CREATE_OPS)
        after = group_settings(client)
        if after.get("autoCreateGroups") is not True:
            raise TenantError("autoCreateGroups is still off after turning it on")

    return Step("group_settings", "tenant", "update", "turn on " + ", ".join(off), enable)


def enable_auto_create_groups(client: TenantClient) -> None:
    """Turn on group auto-creation (groups appear when a login first carries them)."""
    plan_auto_create_groups(client).apply()


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_group(client: TenantClient, name: str) -> dict[str, Any] | None:
    """The group named exactly ``name``, or None if the tenant has none yet."""
    for group in client.paginate(PATH, params={"filter": f"name eq {_quoted(name)}"}):
        if isinstance(group, dict) and group.get("name") == name:
            return group
    return None


def delete_user(client: TenantClient, user_id: str) -> None:
    """Delete a user; a 404 (already gone) counts as done."""
    client.delete(f"/api/v1/users/{user_id}", missing_ok=True)


def bootstrap_group(client: TenantClient, *, signer: TokenSigner, group: str) -> dict[str, Any]:
    """Create ``group`` by logging a throw-away user in with it, then delete that user.

    Returns the group. Raises TenantError when the login did not create the group (group
    auto-creation is off) and TenantHTTPError when the tenant refuses the login.
    """
    subject = BOOTSTRAP_SUBJECT_PREFIX + secrets.token_hex(8)
    user = UserClaims(
        sub=subject,
        name="qlik-jwt group bootstrap",
        email=f"{subject}@bootstrap.invalid",
        email_verified=False,
        groups=(group,),
    )
    login = jwt_login(client, signer.mint(user))
    try:
        found = find_group(client, group)
    finally:
        delete_user(client, login.user_id)
    if found is None:
        raise TenantError(
            f"group {group!r} does not exist after a login carrying it: group auto-creation "
            "is off. Turn it on with `qlik-jwt setup --auto-create-groups`."
        )
    return found
