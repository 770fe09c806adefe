"""Web integrations (``/api/v1/web-integrations``, reference §4.2): the tenant's CORS list.

A web integration is found by its id (when the settings already hold one) or by name, and
its ``validOrigins`` only ever grow here: origins other apps added are left alone.
"""

from __future__ import annotations

from typing import Any

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.origins import normalize_origin, same_origin
from qlik_jwt.admin.plan import Step
from qlik_jwt.errors import ConfigurationError, TenantError, TenantHTTPError

__all__ = [
    "PATH",
    "ensure_web_integration",
    "find_web_integration",
    "get_web_integration",
    "missing_origins",
    "plan_web_integration",
]

PATH = "/api/v1/web-integrations"


def get_web_integration(client: TenantClient, web_integration_id: str) -> dict[str, Any] | None:
    """The web integration with this id, or None when the tenant has none (404)."""
    try:
        found = client.get(f"{PATH}/{web_integration_id}")
    except TenantHTTPError as exc:
        if exc.status == 404:
            return None
        raise
    return dict(found) if isinstance(found, dict) else None


def find_web_integration(client: TenantClient, name: str) -> dict[str, Any] | None:
    """The web integration named ``name`` (exactly). Raises ConfigurationError if several."""
    matches = [
        wi
        for wi in client.paginate(PATH, params={"limit": 100})
        if isinstance(wi, dict) and wi.get("name") == name
    ]
    if len(matches) > 1:
        ids = ", ".join(str(wi.get("id")) for wi in matches)
        raise ConfigurationError(
            "web_integration_name",
            f"matches {len(matches)} web integrations ({ids})",
            name,
            "Set QLIK_WEB_INTEGRATION_ID to the one to use, or rename the others.",
        )
    return matches[0] if matches else None


def missing_origins(web_integration: dict[str, Any], origins: list[str]) -> list[str]:
    """Those of ``origins`` the web integration does not list (exact origin comparison)."""
    listed = web_integration.get("validOrigins") or []
    return [o for o in origins if not any(same_origin(o, v) for v in listed)]


def plan_web_integration(
    client: TenantClient,
    *,
    name: str,
    origins: list[str],
    web_integration_id: str | None = None,
) -> Step:
    """Plan a web integration listing every origin; applying returns its id.

    Uses ``web_integration_id`` when it exists on the tenant, else the one named ``name``,
    else creates one. Adds missing origins, never removes any. Raises ConfigurationError
    for an origin that is not ``scheme://host[:port]``.
    """
    wanted = [normalize_origin(o) for o in origins]
    existing = get_web_integration(client, web_integration_id) if web_integration_id else None
    if existing is None:
        existing = find_web_integration(client, name)
    if existing is None:
        return Step(
            "web_integration",
            f"name {name!r}",
            "create",
            "origins " + (", ".join(wanted) or "(none)"),
            lambda: _create(client, name, wanted),
        )
    wi_id = str(existing["id"])
    target = f"{existing.get('name')!r} ({wi_id})"
    missing = missing_origins(existing, wanted)
    if not missing:
        return Step("web_integration", target, "keep", "lists every origin", lambda: wi_id)

    def add() -> str:
        _add_origins(client, wi_id, missing)
        return wi_id

    return Step("web_integration", target, "update", "add " + ", ".join(missing), add)


def ensure_web_integration(
    client: TenantClient,
    *,
    name: str,
    origins: list[str],
    web_integration_id: str | None = None,
) -> str:
    """Make sure a web integration lists ``origins``; return its id. Idempotent."""
    step = plan_web_integration(
        client, name=name, origins=origins, web_integration_id=web_integration_id
    )
    return str(step.apply())


def _add_origins(client: TenantClient, wi_id: str, origins: list[str]) -> None:
    current = get_web_integration(client, wi_id)
    if current is None:
        raise TenantError(f"web integration {wi_id} disappeared while adding origins")
    listed = list(current.get("validOrigins") or [])
    # Compared again with this fresh read: another run may have added some meanwhile.
    added = missing_origins(current, origins)
    if added:
        client.patch(
            f"{PATH}/{wi_id}",
            [{"op": "replace", "path": "/validOrigins", "value": listed + added}],
        )
    _confirm(client, wi_id, origins)


def _confirm(client: TenantClient, wi_id: str, origins: list[str]) -> dict[str, Any]:
    current = get_web_integration(client, wi_id)
    if current is None or missing_origins(current, origins):
        raise TenantError(
            f"web integration {wi_id} does not list {', '.join(origins)} after the change; "
            "check it in the Management Console"
        )
    return current


def _create(client: TenantClient, name: str, origins: list[str]) -> str:
    created = client.create(PATH, {"name": name, "validOrigins": origins})
    if created is not None:
        return str(created["id"])
    found = find_web_integration(client, name)  # a 409 counts only once confirmed
    if found is None:
        raise TenantError(
            f"creating web integration {name!r} was refused as a conflict, yet none has "
            "that name; check the tenant's web integrations"
        )
    missing = missing_origins(found, origins)
    if missing:
        _add_origins(client, str(found["id"]), missing)
    return str(found["id"])
