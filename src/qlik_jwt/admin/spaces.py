"""Spaces and their assignments (``/api/v1/spaces``, reference §4.5): who may open the app.

Granting a group a role in the app's space is what lets users carrying that group in their
token open the app. :func:`grant_group_to_space` is idempotent: it bootstraps the group
only if the tenant does not know it yet, and assigns it only if not already assigned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.groups import bootstrap_group, find_group
from qlik_jwt.admin.plan import Step
from qlik_jwt.errors import ConfigurationError, TenantError
from qlik_jwt.signer import TokenSigner

__all__ = [
    "app_space_id",
    "assign_group",
    "find_assignment",
    "grant_group_to_space",
    "plan_group_grant",
]


def _assignments_path(space_id: str) -> str:
    return f"/api/v1/spaces/{space_id}/assignments"


def app_space_id(client: TenantClient, app_id: str) -> str:
    """The id of the space holding app ``app_id`` (from the items API).

    Raises ConfigurationError when no such app exists or it is in a personal space.
    """
    # Filter here too: a tenant that ignores `resourceId` must not hand back another app.
    items = [
        item
        for item in client.paginate(
            "/api/v1/items", params={"resourceType": "app", "resourceId": app_id, "limit": 100}
        )
        if isinstance(item, dict) and item.get("resourceId") == app_id
    ]
    if not items:
        raise ConfigurationError(
            "app_id", "is not an app on this tenant", app_id, "Check QLIK_APP_ID."
        )
    space = items[0].get("spaceId")
    if not isinstance(space, str) or not space:
        raise ConfigurationError(
            "app_id",
            "is in a personal space, which cannot be shared with groups",
            app_id,
            "Move the app to a shared or managed space, or pass --space-id.",
        )
    return space


def find_assignment(client: TenantClient, space_id: str, group_id: str) -> dict[str, Any] | None:
    """The space's assignment for group ``group_id``, or None."""
    for assignment in client.paginate(_assignments_path(space_id), params={"limit": 100}):
        if (
            isinstance(assignment, dict)
            and assignment.get("type") == "group"
            and assignment.get("assigneeId") == group_id
        ):
            return assignment
    return None


def assign_group(
    client: TenantClient, *, space_id: str, group_id: str, roles: Sequence[str]
) -> dict[str, Any]:
    """Assign ``group_id`` to the space with at least ``roles``; returns the assignment.

    An existing assignment keeps its roles and gains the missing ones. A 409 counts as
    done only when a read confirms the assignment.
    """
    existing = find_assignment(client, space_id, group_id)
    if existing is not None:
        have = list(existing.get("roles") or [])
        lacking = [r for r in roles if r not in have]
        if not lacking:
            return existing
        path = f"{_assignments_path(space_id)}/{existing['id']}"
        updated = client.put(path, {"roles": have + lacking})
        return dict(updated) if isinstance(updated, dict) else dict(client.get(path))
    body = {"type": "group", "assigneeId": group_id, "roles": list(roles)}
    created = client.create(_assignments_path(space_id), body)
    if created is not None:
        return created
    confirmed = find_assignment(client, space_id, group_id)
    if confirmed is None:
        raise TenantError(
            f"group {group_id} is not assigned to space {space_id} after assigning it"
        )
    return confirmed


def grant_group_to_space(
    client: TenantClient,
    *,
    signer: TokenSigner,
    group: str,
    space_id: str,
    roles: Sequence[str] = ("consumer",),
) -> str:
    """Give the group named ``group`` ``roles`` in the space; return the group's id.

    If the tenant has no such group yet, it is created the only way Qlik allows: a login
    (signed by ``signer``) of a temporary user carrying the group, deleted afterwards.
    Raises TenantError when group auto-creation is off and the group does not exist.
    """
    if not roles:
        raise ValueError("roles must name at least one role, e.g. ('consumer',)")
    found = find_group(client, group) or bootstrap_group(client, signer=signer, group=group)
    group_id = str(found["id"])
    assign_group(client, space_id=space_id, group_id=group_id, roles=roles)
    return group_id


def plan_group_grant(
    client: TenantClient,
    *,
    signer: TokenSigner,
    group: str,
    space_id: str,
    roles: Sequence[str] = ("consumer",),
) -> Step:
    """Plan :func:`grant_group_to_space`; applying returns the group id."""
    target = f"group {group!r} in space {space_id}"

    def grant() -> str:
        return grant_group_to_space(
            client, signer=signer, group=group, space_id=space_id, roles=roles
        )

    found = find_group(client, group)
    if found is None:
        return Step(
            "space_assignment",
            target,
            "create",
            "create the group with a temporary login, assign " + ", ".join(roles),
            grant,
        )
    existing = find_assignment(client, space_id, str(found["id"]))
    if existing is None:
        return Step("space_assignment", target, "create", "assign " + ", ".join(roles), grant)
    lacking = [r for r in roles if r not in (existing.get("roles") or [])]
    if lacking:
        return Step("space_assignment", target, "update", "add " + ", ".join(lacking), grant)
    return Step("space_assignment", target, "keep", "already assigned", lambda: str(found["id"]))
