"""``GET /config``: the settings a browser needs to reach the tenant, and nothing else.

Never the issuer, the key id, the key, or any host-app secret: these would tell an attacker
exactly which identity provider to forge tokens for.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from qlik_jwt.settings import Settings

__all__ = ["PublicConfig", "config_routes", "public_config"]


class PublicConfig(BaseModel):
    """The public part of the settings, in the browser's spelling."""

    tenantUrl: str | None
    webIntegrationId: str | None
    appId: str | None
    objectId: str | None
    sheetId: str | None
    loginMode: Literal["jwt", "interactive"]


def public_config(settings: Settings) -> PublicConfig:
    return PublicConfig(
        tenantUrl=settings.tenant_url,
        webIntegrationId=settings.web_integration_id,
        appId=settings.app_id,
        objectId=settings.object_id,
        sheetId=settings.sheet_id,
        loginMode=settings.login_mode,
    )


def config_routes(settings: Settings) -> APIRouter:
    router = APIRouter()
    body = public_config(settings).model_dump()

    @router.get("/config", response_model=PublicConfig, summary="Public embedding settings")
    async def config() -> JSONResponse:
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    return router
