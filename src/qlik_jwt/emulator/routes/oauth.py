"""``POST /oauth/token``: the ``client_credentials`` grant for the emulator's OAuth client.

The access token acts as the admin key (Qlik's machine-to-machine tokens for provisioning).
The body may be JSON or a form, as OAuth clients send either.
"""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from pydantic import BaseModel

from qlik_jwt.emulator.auth import TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError, unreadable_json
from qlik_jwt.emulator.state.db import iso

__all__ = ["router"]

router = APIRouter(tags=["oauth"])


class AccessToken(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    expires_at: str
    scope: str


def _fields(raw: bytes, content_type: str) -> dict[str, Any]:
    if "application/x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.decode("utf-8", "replace")))
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError) as exc:
        raise unreadable_json(exc) from None
    if not isinstance(body, dict):
        raise QlikError(
            400,
            detail="Send a JSON object {client_id, client_secret, grant_type}.",
            reason="invalid_request",
        )
    return body


@router.post(
    "/oauth/token",
    summary="An access token for the OAuth client (grant_type client_credentials)",
    responses=ERROR_RESPONSES,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["client_id", "client_secret", "grant_type"],
                        "properties": {
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "scope": {"type": "string"},
                        },
                    }
                },
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            }
        }
    },
)
async def token(request: Request, tenant: TenantDep) -> AccessToken:
    fields = _fields(await request.body(), request.headers.get("content-type", ""))
    grant = fields.get("grant_type")
    if grant != "client_credentials":
        raise QlikError(
            400,
            detail=f"grant_type {grant!r} is not supported here; use client_credentials.",
            reason="unsupported_grant_type",
        )
    client_id, secret = fields.get("client_id"), fields.get("client_secret")
    client = tenant.oauth_client
    if not (
        isinstance(client_id, str)
        and isinstance(secret, str)
        and hmac.compare_digest(client_id.encode(), client.client_id.encode())
        and hmac.compare_digest(secret.encode(), client.client_secret.encode())
    ):
        raise QlikError(
            401,
            detail="client_id or client_secret is wrong; the emulator prints its OAuth client "
            "at start.",
            reason="invalid_client",
        )
    now = tenant.now()
    lifetime = tenant.options.oauth_token_lifetime
    access = tenant.sessions.issue_access_token(client.client_id, now=now, lifetime=lifetime)
    return AccessToken(
        access_token=access,
        token_type="Bearer",
        expires_in=lifetime,
        expires_at=iso(now + lifetime),
        scope=str(fields.get("scope") or "user_default"),
    )
