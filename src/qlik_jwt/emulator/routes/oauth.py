"""``POST /oauth/token`` and ``POST /oauth/revoke`` over HTTP; the grants are in
:mod:`qlik_jwt.emulator.oauth_grants`. The body may be JSON or a form, as OAuth clients send
either.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from qlik_jwt.emulator import oauth_grants
from qlik_jwt.emulator.auth import TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError, unreadable_json
from qlik_jwt.emulator.oauth_grants import TOKEN_EXCHANGE
from qlik_jwt.emulator.state.oauth_clients import CLIENT_CREDENTIALS, IMPERSONATION

__all__ = ["router"]

router = APIRouter(tags=["oauth"])


class AccessToken(BaseModel):
    access_token: str
    token_type: str
    expires_in: int
    expires_at: str
    scope: str
    issued_token_type: str | None = None


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
            detail="Send a JSON object, e.g. {client_id, client_secret, grant_type}.",
            reason="invalid_request",
        )
    return body


_GRANTS = [CLIENT_CREDENTIALS, IMPERSONATION, TOKEN_EXCHANGE]


@router.post(
    "/oauth/token",
    summary="An access token: client credentials, user impersonation or token exchange",
    responses=ERROR_RESPONSES,
    response_model_exclude_none=True,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": _GRANTS},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {"type": "string"},
                            "user_lookup": {
                                "type": "object",
                                "properties": {
                                    "field": {"type": "string", "enum": ["subject", "userId"]},
                                    "value": {"type": "string"},
                                },
                            },
                            "subject_token": {"type": "string"},
                            "subject_token_type": {"type": "string"},
                            "purpose": {"type": "string", "enum": ["websocket", "webresource"]},
                        },
                    }
                },
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            }
        }
    },
)
async def token(request: Request, response: Response, tenant: TenantDep) -> AccessToken:
    fields = _fields(await request.body(), request.headers.get("content-type", ""))
    answer = await run_in_threadpool(oauth_grants.grant, tenant, fields)
    response.headers["Cache-Control"] = "no-store"
    return AccessToken(**answer)


@router.post(
    "/oauth/revoke",
    summary="Revoke an access token (and the tokens exchanged from it)",
    response_class=Response,
    responses={200: {"description": "Revoked, or unknown already (RFC 7009)."}, **ERROR_RESPONSES},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["token"],
                        "properties": {
                            "token": {"type": "string"},
                            "token_type_hint": {"type": "string"},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                        },
                    }
                },
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            }
        }
    },
)
async def revoke(request: Request, tenant: TenantDep) -> Response:
    fields = _fields(await request.body(), request.headers.get("content-type", ""))
    await run_in_threadpool(oauth_grants.revoke, tenant, fields)
    return Response(status_code=200)
