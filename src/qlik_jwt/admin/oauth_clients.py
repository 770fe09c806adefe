"""The impersonation OAuth client (``/api/v1/oauth-clients``): the one that mints user tokens.

Qlik advises a client used only for minting user access tokens, apart from any admin
credential: ``appType: web``, grant ``urn:qlik:oauth:user-impersonation`` only, scope
``user_default``, consent ``trusted``, and the page origins in ``allowedOrigins`` (browser
calls with its tokens are allowed per origin). The client is found by its id (when the
settings hold one) or by name; its secret is shown once, when it is made, and setup writes it
to the settings file then. Origins only ever grow here, as for web integrations.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.origins import normalize_origin, same_origin
from qlik_jwt.admin.plan import Step
from qlik_jwt.env_file import update_env_file
from qlik_jwt.errors import ConfigurationError, TenantError, TenantHTTPError
from qlik_jwt.settings import ENV_PREFIX

__all__ = [
    "IMPERSONATION_GRANT",
    "PATH",
    "OAuthClientResult",
    "find_oauth_client",
    "get_oauth_client",
    "missing_client_origins",
    "plan_impersonation_client",
    "record_oauth_client",
]

PATH = "/api/v1/oauth-clients"
IMPERSONATION_GRANT = "urn:qlik:oauth:user-impersonation"
SCOPE = "user_default"


class OAuthClientResult(dict[str, Any]):
    """What applying the step returns: ``clientId``, and ``clientSecret`` only when the
    step made one (a new client, or a new secret for a client whose secret is not known)."""

    def __repr__(self) -> str:  # never show the secret
        return f"OAuthClientResult(clientId={self.get('clientId')!r})"


def get_oauth_client(client: TenantClient, client_id: str) -> dict[str, Any] | None:
    """The OAuth client with this id, or None when the tenant has none (404)."""
    try:
        found = client.get(f"{PATH}/{client_id}")
    except TenantHTTPError as exc:
        if exc.status == 404:
            return None
        raise
    return dict(found) if isinstance(found, dict) else None


def find_oauth_client(client: TenantClient, name: str) -> dict[str, Any] | None:
    """The OAuth client named ``name`` (exactly). Raises ConfigurationError if several."""
    matches = [
        c
        for c in client.paginate(PATH, params={"limit": 100})
        if isinstance(c, dict) and c.get("clientName") == name
    ]
    if len(matches) > 1:
        ids = ", ".join(str(c.get("clientId")) for c in matches)
        raise ConfigurationError(
            "oauth_client_name",
            f"matches {len(matches)} OAuth clients ({ids})",
            name,
            f"Set {ENV_PREFIX}OAUTH_CLIENT_ID to the one to use, or rename the others.",
        )
    return matches[0] if matches else None


def missing_client_origins(oauth_client: dict[str, Any], origins: list[str]) -> list[str]:
    """Those of ``origins`` the client's ``allowedOrigins`` do not list."""
    listed = oauth_client.get("allowedOrigins") or []
    return [o for o in origins if not any(same_origin(o, v) for v in listed)]


def plan_impersonation_client(
    client: TenantClient,
    *,
    name: str,
    origins: list[str],
    client_id: str | None = None,
    secret_known: bool = False,
) -> Step:
    """Plan the impersonation OAuth client; applying returns an :class:`OAuthClientResult`.

    Uses ``client_id`` when it exists on the tenant, else the one named ``name``, else
    creates one. Adds the grant and missing origins, never removes any. A found client whose
    secret is not known here (``secret_known``) gets a new secret (Qlik shows a secret only
    once). Raises ConfigurationError for a malformed origin.
    """
    wanted = [normalize_origin(o) for o in origins]
    existing = get_oauth_client(client, client_id) if client_id else None
    if existing is None:
        existing = find_oauth_client(client, name)
    if existing is None:
        detail = "grant user-impersonation; origins " + (", ".join(wanted) or "(none)")
        return Step(
            "oauth_client",
            f"name {name!r}",
            "create",
            detail,
            lambda: _create(client, name, wanted),
        )
    found_id = str(existing["clientId"])
    target = f"{existing.get('clientName')!r} ({found_id})"
    changes = []
    grants = list(existing.get("allowedGrantTypes") or [])
    if IMPERSONATION_GRANT not in grants:
        changes.append("allow grant user-impersonation")
    missing = missing_client_origins(existing, wanted)
    if missing:
        changes.append("add origins " + ", ".join(missing))
    if not secret_known:
        changes.append("add a client secret (none in the settings)")
    if not changes:
        return Step(
            "oauth_client",
            target,
            "keep",
            "allows user-impersonation from every origin",
            lambda: OAuthClientResult(clientId=found_id),
        )

    def update() -> OAuthClientResult:
        _update(client, found_id, wanted)
        result = OAuthClientResult(clientId=found_id)
        if not secret_known:
            answer = client.post(f"{PATH}/{found_id}/client-secrets")
            result["clientSecret"] = str(answer["clientSecret"])
        return result

    return Step("oauth_client", target, "update", "; ".join(changes), update)


def _create(client: TenantClient, name: str, origins: list[str]) -> OAuthClientResult:
    created = client.post(
        PATH,
        {
            "clientName": name,
            "appType": "web",
            "description": "Mints user access tokens for embedding (qlik-jwt); nothing else.",
            "allowedGrantTypes": [IMPERSONATION_GRANT],
            "allowedScopes": [SCOPE],
            "allowedOrigins": origins,
            "connectionConfig": {"consentMethod": "trusted"},
        },
    )
    if not isinstance(created, dict) or not created.get("clientSecret"):
        raise TenantError(
            f"creating OAuth client {name!r} returned no client secret; delete it in the "
            "Management Console and run setup again"
        )
    return OAuthClientResult(
        clientId=str(created["clientId"]), clientSecret=str(created["clientSecret"])
    )


def _update(client: TenantClient, client_id: str, origins: list[str]) -> None:
    current = get_oauth_client(client, client_id)
    if current is None:
        raise TenantError(f"OAuth client {client_id} disappeared while updating it")
    grants = list(current.get("allowedGrantTypes") or [])
    listed = list(current.get("allowedOrigins") or [])
    operations = []
    if IMPERSONATION_GRANT not in grants:
        value = [*grants, IMPERSONATION_GRANT]
        operations.append({"op": "replace", "path": "/allowedGrantTypes", "value": value})
    added = missing_client_origins(current, origins)
    if added:
        operations.append({"op": "replace", "path": "/allowedOrigins", "value": listed + added})
    if operations:
        client.patch(f"{PATH}/{client_id}", operations)


def record_oauth_client(env_file: str | Path, client_id: str, secret: str | None) -> None:
    """Write ``QLIK_OAUTH_CLIENT_ID`` (and the secret, when there is a new one) into the
    settings file, which is then readable by its owner only."""
    values = {f"{ENV_PREFIX}OAUTH_CLIENT_ID": client_id}
    if secret is not None:
        values[f"{ENV_PREFIX}OAUTH_CLIENT_SECRET"] = secret
    update_env_file(env_file, values)
    if secret is not None:
        os.chmod(env_file, 0o600)
