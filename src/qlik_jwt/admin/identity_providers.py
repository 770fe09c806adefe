"""JWT identity providers (``/api/v1/identity-providers``, reference §4.1 and §1.7).

A JWT provider holds one issuer and exactly one key (``staticKeys[0]``: ``kid`` and a
single-line PEM). Only its description can be patched, so a different key means a new
provider; rotation keeps two active providers for a while, then deletes the old one.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import keys
from qlik_jwt.admin.client import TenantClient
from qlik_jwt.admin.plan import Step
from qlik_jwt.errors import ConfigurationError, PrivateKeyError, TenantError

__all__ = [
    "JWT_PROTOCOL",
    "PATH",
    "delete_identity_provider",
    "ensure_identity_provider",
    "find_jwt_provider",
    "list_jwt_providers",
    "plan_identity_provider",
    "provider_clock_tolerance",
    "provider_issuer",
    "provider_key_id",
    "provider_public_key",
]

PATH = "/api/v1/identity-providers"
JWT_PROTOCOL = "jwtAuth"


def provider_issuer(idp: dict[str, Any]) -> str | None:
    issuer = (idp.get("options") or {}).get("issuer")
    return issuer if isinstance(issuer, str) else None


def provider_clock_tolerance(idp: dict[str, Any]) -> int | None:
    """The provider's ``clockToleranceSec`` in whole seconds (0 included), or None if unset."""
    tolerance = idp.get("clockToleranceSec")
    if isinstance(tolerance, int | float) and not isinstance(tolerance, bool):
        return int(tolerance)
    return None


def _static_key(idp: dict[str, Any]) -> dict[str, Any]:
    static = (idp.get("options") or {}).get("staticKeys") or []
    return static[0] if static and isinstance(static[0], dict) else {}


def provider_key_id(idp: dict[str, Any]) -> str | None:
    kid = _static_key(idp).get("kid")
    return kid if isinstance(kid, str) else None


def provider_public_key(idp: dict[str, Any]) -> rsa.RSAPublicKey | None:
    """The RSA key registered in the provider, or None if its PEM is missing or unusable."""
    pem = _static_key(idp).get("pem")
    if not isinstance(pem, str) or not pem:
        return None
    try:
        return keys.load_public_key(pem, field="staticKeys[0].pem")
    except PrivateKeyError:
        return None


def same_public_key(a: rsa.RSAPublicKey | None, b: rsa.RSAPublicKey) -> bool:
    return a is not None and a.public_numbers() == b.public_numbers()


def list_jwt_providers(client: TenantClient) -> list[dict[str, Any]]:
    """Every identity provider of protocol ``jwtAuth``, active or not."""
    return [
        idp
        for idp in client.paginate(PATH, params={"limit": 100})
        if isinstance(idp, dict) and idp.get("protocol") == JWT_PROTOCOL
    ]


def find_jwt_provider(
    providers: list[dict[str, Any]], *, issuer: str, key_id: str
) -> dict[str, Any] | None:
    """The provider with exactly this issuer and key id (Qlik compares both exactly)."""
    for idp in providers:
        if provider_issuer(idp) == issuer and provider_key_id(idp) == key_id:
            return idp
    return None


def delete_identity_provider(client: TenantClient, idp_id: str) -> None:
    """Delete a provider; a 404 (already gone) counts as done."""
    client.delete(f"{PATH}/{idp_id}", missing_ok=True)


def _certificate_key(certificate_pem: str | bytes) -> rsa.RSAPublicKey:
    return keys.load_public_key(
        certificate_pem if isinstance(certificate_pem, bytes) else certificate_pem.encode(),
        field="certificate",
    )


def _check_existing(idp: dict[str, Any], public_key: rsa.RSAPublicKey, key_id: str) -> None:
    if not same_public_key(provider_public_key(idp), public_key):
        raise ConfigurationError(
            "key_id",
            f"is already registered (identity provider {idp.get('id')}) with another certificate",
            key_id,
            "A JWT provider's key cannot be changed: use `qlik-jwt rotate-key`, or choose a "
            "new key id (QLIK_KEY_ID) for this key.",
        )
    if idp.get("active") is False:
        raise ConfigurationError(
            "key_id",
            f"is registered in identity provider {idp.get('id')}, which is inactive",
            key_id,
            "Activate it in the Management Console, or delete it and run setup again.",
        )


def plan_identity_provider(
    client: TenantClient,
    *,
    issuer: str,
    key_id: str,
    certificate_pem: str | bytes,
    clock_tolerance: int = 5,
    description: str | None = None,
) -> Step:
    """Plan a JWT provider with this issuer, key id and certificate; apply returns its JSON.

    Keeps an active provider with the same issuer, key id and public key; updates only its
    description (the single patchable field) when ``description`` is given and differs;
    creates one otherwise. Raises ConfigurationError when the issuer and key id are
    registered with another key or on an inactive provider.
    """
    public_key = _certificate_key(certificate_pem)
    target = f"issuer {issuer!r}, key id {key_id!r}"
    existing = find_jwt_provider(list_jwt_providers(client), issuer=issuer, key_id=key_id)
    if existing is None:
        return Step(
            "identity_provider",
            target,
            "create",
            f"new JWT provider, clockToleranceSec {clock_tolerance}",
            lambda: _create(client, issuer, key_id, certificate_pem, clock_tolerance, description),
        )
    _check_existing(existing, public_key, key_id)
    notes = []
    registered_tolerance = existing.get("clockToleranceSec")
    if registered_tolerance is not None and registered_tolerance != clock_tolerance:
        notes.append(
            f"clockToleranceSec is {registered_tolerance}, not {clock_tolerance} "
            "(not patchable; rotate to change)"
        )
    if description is not None and existing.get("description") != description:
        idp_id = existing["id"]

        def patch() -> dict[str, Any]:
            client.patch(
                f"{PATH}/{idp_id}",
                [{"op": "replace", "path": "/description", "value": description}],
            )
            return dict(client.get(f"{PATH}/{idp_id}"))

        return Step(
            "identity_provider", target, "update", "; ".join(["description", *notes]), patch
        )
    return Step(
        "identity_provider",
        target,
        "keep",
        "; ".join(notes) or f"provider {existing.get('id')} is active with this key",
        lambda: existing,
    )


def ensure_identity_provider(
    client: TenantClient,
    *,
    issuer: str,
    key_id: str,
    certificate_pem: str | bytes,
    clock_tolerance: int = 5,
    description: str | None = None,
) -> dict[str, Any]:
    """Make sure an active JWT provider holds this issuer, key id and certificate.

    Idempotent; returns the provider's JSON. See :func:`plan_identity_provider`.
    """
    step = plan_identity_provider(
        client,
        issuer=issuer,
        key_id=key_id,
        certificate_pem=certificate_pem,
        clock_tolerance=clock_tolerance,
        description=description,
    )
    return dict(step.apply())


def _create(
    client: TenantClient,
    issuer: str,
    key_id: str,
    certificate_pem: str | bytes,
    clock_tolerance: int,
    description: str | None,
) -> dict[str, Any]:
    body = {
        "tenantIds": [client.tenant_id()],
        "provider": "external",
        "protocol": JWT_PROTOCOL,
        "interactive": False,
        "active": True,
        "description": description or f"qlik-jwt: JWT authorization for {issuer}",
        "clockToleranceSec": clock_tolerance,
        "options": {
            "jwtLoginEnabled": True,
            "issuer": issuer,
            "staticKeys": [{"kid": key_id, "pem": keys.single_line_pem(certificate_pem)}],
        },
    }
    created = client.create(PATH, body)
    if created is not None:
        return created
    found = find_jwt_provider(list_jwt_providers(client), issuer=issuer, key_id=key_id)
    if found is None:
        raise TenantError(
            f"the identity provider for issuer {issuer!r}, key id {key_id!r} was not found "
            "after creating it; check the tenant's identity providers"
        )
    _check_existing(found, _certificate_key(certificate_pem), key_id)
    return found
