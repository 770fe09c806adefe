"""``GET /config``: the settings a browser needs to reach the tenant, and nothing else
(:mod:`qlik_jwt.embedding.public_config` says which)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from qlik_jwt.embedding.public_config import PublicConfig, public_config
from qlik_jwt.settings import Settings

__all__ = ["PublicConfig", "config_routes", "public_config"]


def config_routes(settings: Settings) -> APIRouter:
    router = APIRouter()
    body = public_config(settings).model_dump()

    @router.get("/config", response_model=PublicConfig, summary="Public embedding settings")
    async def config() -> JSONResponse:
        return JSONResponse(body, headers={"Cache-Control": "no-cache"})

    return router
