"""The grants of ``POST /oauth/token`` and ``POST /oauth/revoke``, on a parsed request body.

- ``client_credentials``: the emulator's own OAuth client, or a created client allowing
  that grant; the token acts as the administrator (machine-to-machine provisioning).
- ``urn:qlik:oauth:user-impersonation``: a created client allowing that grant, a
  ``user_lookup`` of ``{"field": "subject" | "userId", "value"}`` naming an existing user;
  the token is that user's, never the administrator's. 401 for a bad client, 403 for a
  disabled user or one holding ``oauth_max_tokens_per_user`` live tokens, 400 otherwise.
- ``urn:ietf:params:oauth:grant-type:token-exchange`` (RFC 8693): a live access token in
  ``subject_token`` becomes a short-lived token for ``purpose`` ``websocket`` (the engine's
  ``accessToken`` query) or ``webresource`` (``/single/``), as Qlik's browser clients ask.

Every refusal is a :class:`QlikError` with ``meta.reason`` in OAuth's error names.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from typing import Any

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.state.access_tokens import ACCESS, EXCHANGE_PURPOSES
from qlik_jwt.emulator.state.db import iso
from qlik_jwt.emulator.state.oauth_clients import (
    CLIENT_CREDENTIALS,
    IMPERSONATION,
    OAuthClientRecord,
)
from qlik_jwt.emulator.state.users import User
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "TOKEN_EXCHANGE",
    "grant",
    "revoke",
]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
DEFAULT_SCOPE = "user_default"


def _bad(detail: str, reason: str = "invalid_request") -> QlikError:
    return QlikError(400, detail=detail, reason=reason)


def _text(fields: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = fields.get(name)
    if value is None or value == "":
        if required:
            raise _bad(f"{name}: required field is missing.")
        return None
    if not isinstance(value, str):
        raise _bad(f"{name}: must be a string (got {type(value).__name__}).")
    return value


def _client(tenant: EmulatedTenant, fields: Mapping[str, Any]) -> OAuthClientRecord | None:
    """The authenticated created client; None for the emulator's own client. 401 otherwise."""
    client_id = _text(fields, "client_id")
    secret = _text(fields, "client_secret", required=False)
    assert client_id is not None
    own = tenant.oauth_client
    if secret is not None and hmac.compare_digest(client_id.encode(), own.client_id.encode()):
        if hmac.compare_digest(secret.encode(), own.client_secret.encode()):
            return None
    elif secret is not None:
        found = tenant.oauth_clients.authenticate(client_id, secret)
        if found is not None:
            return found
    raise QlikError(
        401,
        detail="client_id or client_secret is wrong: check both against the OAuth client "
        "(the secret is shown once, at creation; create a new secret if it is lost).",
        reason="invalid_client",
    )


def _scope(client: OAuthClientRecord | None, fields: Mapping[str, Any]) -> str:
    asked = _text(fields, "scope", required=False) or DEFAULT_SCOPE
    if client is not None:
        outside = [s for s in asked.split() if s not in client.allowed_scopes]
        if outside:
            raise _bad(
                f"scope: {' '.join(outside)!r} is not among the client's allowedScopes "
                f"{client.allowed_scopes}; ask for fewer scopes or allow them on the client.",
                "invalid_scope",
            )
    return asked


def _allows(client: OAuthClientRecord, grant_type: str) -> None:
    if grant_type not in client.allowed_grant_types:
        raise _bad(
            f"grant_type {grant_type!r} is not among the OAuth client's allowedGrantTypes "
            f"{client.allowed_grant_types}; allow it on the client.",
            "unauthorized_client",
        )


def _answer(token: str, expires: float, now: float, scope: str, **extra: str) -> dict[str, Any]:
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": max(0, int(expires - now)),
        "expires_at": iso(expires),
        "scope": scope,
        **extra,
    }


def _lookup(tenant: EmulatedTenant, fields: Mapping[str, Any]) -> User:
    raw = fields.get("user_lookup")
    if isinstance(raw, str):  # a form body carries the object as JSON text
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = None
    if not isinstance(raw, dict):
        raise _bad(
            'user_lookup: must be an object {"field": "subject" | "userId", "value": "..."}.'
        )
    field, value = raw.get("field"), raw.get("value")
    if field not in ("subject", "userId"):
        raise _bad(f"user_lookup.field: must be 'subject' or 'userId' (got {field!r}).")
    if not isinstance(value, str) or not value:
        raise _bad("user_lookup.value: must be a non-empty string.")
    user = tenant.users.by_subject(value) if field == "subject" else tenant.users.find(value)
    if user is None:
        raise QlikError(
            tenant.options.oauth_unknown_user_status,
            detail=f"No user with {field} {value!r}: Qlik impersonates existing users only; "
            "create the user first (POST /api/v1/users).",
            reason="unknown_user",
        )
    if user.is_admin:
        raise QlikError(
            403,
            detail="The tenant administrator cannot be impersonated.",
            reason="admin_not_impersonable",
        )
    if user.status == "disabled":
        raise QlikError(
            403,
            detail=f"User {user.subject!r} is disabled; enable the user in the tenant.",
            reason="user_disabled",
        )
    return user


def _impersonate(
    tenant: EmulatedTenant, client: OAuthClientRecord | None, fields: Mapping[str, Any]
) -> dict[str, Any]:
    if client is None:
        raise _bad(
            "The emulator's own OAuth client allows client_credentials only; create a client "
            f"allowing {IMPERSONATION} (POST /api/v1/oauth-clients).",
            "unauthorized_client",
        )
    _allows(client, IMPERSONATION)
    scope = _scope(client, fields)
    user = _lookup(tenant, fields)
    now = tenant.now()
    issued = tenant.access_tokens.issue(
        client.client_id,
        user_id=user.id,
        scope=scope,
        now=now,
        lifetime=client.token_lifetime_minutes * 60,
        max_per_user=tenant.options.oauth_max_tokens_per_user,
    )
    if issued is None:
        raise QlikError(
            403,
            detail=f"User {user.subject!r} holds the maximum number of tokens "
            f"({tenant.options.oauth_max_tokens_per_user}); reuse tokens until they expire "
            "and revoke them at sign-out (POST /oauth/revoke).",
            reason="too_many_tokens",
        )
    return _answer(issued.token, issued.expires, now, scope)


def _client_credentials(
    tenant: EmulatedTenant, client: OAuthClientRecord | None, fields: Mapping[str, Any]
) -> dict[str, Any]:
    if client is not None:
        _allows(client, CLIENT_CREDENTIALS)
    scope = _scope(client, fields)
    now = tenant.now()
    lifetime = (
        tenant.options.oauth_token_lifetime
        if client is None
        else client.token_lifetime_minutes * 60
    )
    client_id = tenant.oauth_client.client_id if client is None else client.client_id
    issued = tenant.access_tokens.issue(
        client_id, user_id=None, scope=scope, now=now, lifetime=lifetime
    )
    assert issued is not None
    return _answer(issued.token, issued.expires, now, scope)


def _exchange(tenant: EmulatedTenant, fields: Mapping[str, Any]) -> dict[str, Any]:
    subject_token = _text(fields, "subject_token")
    token_type = _text(fields, "subject_token_type")
    purpose = _text(fields, "purpose")
    assert subject_token is not None
    if token_type != ACCESS_TOKEN_TYPE:
        raise _bad(f"subject_token_type: must be {ACCESS_TOKEN_TYPE!r} (got {token_type!r}).")
    if purpose not in EXCHANGE_PURPOSES:
        raise _bad(f"purpose: must be 'websocket' or 'webresource' (got {purpose!r}).")
    now = tenant.now()
    parent = tenant.access_tokens.find(subject_token, now=now)
    if parent is None or parent.purpose != ACCESS:
        raise QlikError(
            401,
            detail="subject_token is not a live access token (expired, revoked or unknown); "
            "get a new one.",
            reason="invalid_grant",
        )
    client_id = _text(fields, "client_id", required=False)
    if client_id is not None and client_id != parent.client_id:
        raise QlikError(
            401,
            detail="client_id is not the client the subject_token was issued to.",
            reason="invalid_client",
        )
    lifetime = min(tenant.options.oauth_exchanged_token_seconds, parent.expires - now)
    issued = tenant.access_tokens.issue(
        parent.client_id,
        user_id=parent.user_id,
        scope=parent.scope,
        now=now,
        lifetime=lifetime,
        purpose=purpose,
        parent=parent,
    )
    assert issued is not None
    return _answer(
        issued.token, issued.expires, now, parent.scope, issued_token_type=ACCESS_TOKEN_TYPE
    )


def grant(tenant: EmulatedTenant, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The ``/oauth/token`` answer for ``fields``; raises QlikError for a refusal."""
    grant_type = fields.get("grant_type")
    if grant_type == TOKEN_EXCHANGE:
        return _exchange(tenant, fields)
    if grant_type not in (CLIENT_CREDENTIALS, IMPERSONATION):
        raise _bad(
            f"grant_type {grant_type!r} is not supported; use {CLIENT_CREDENTIALS}, "
            f"{IMPERSONATION} or {TOKEN_EXCHANGE}.",
            "unsupported_grant_type",
        )
    client = _client(tenant, fields)
    if grant_type == IMPERSONATION:
        return _impersonate(tenant, client, fields)
    return _client_credentials(tenant, client, fields)


def revoke(tenant: EmulatedTenant, fields: Mapping[str, Any]) -> None:
    """Revoke ``token`` (RFC 7009: an unknown token is no error). Client credentials, when
    sent, must be right (401 otherwise)."""
    token = _text(fields, "token")
    assert token is not None
    if fields.get("client_id") and fields.get("client_secret"):
        _client(tenant, fields)
    tenant.access_tokens.revoke(token)
