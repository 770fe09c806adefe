"""``GET /static/{name}``: the front end's files, and only those (the lookup is
:func:`qlik_jwt.embedding.static.static_file`; everything else is a 404, answered here so
the router works in any FastAPI app)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from qlik_jwt.embedding.static import HEADERS, STATIC_DIR, static_file
from qlik_jwt.web.errors import WebError, refusal_response

__all__ = ["STATIC_DIR", "static_routes"]


def static_routes(static_dir: Path = STATIC_DIR) -> APIRouter:
    router = APIRouter()

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        found = static_file(name, static_dir)
        if found is None:
            return refusal_response(WebError(404, "not-found", "No such file."))
        return FileResponse(found.path, media_type=found.media_type, headers=HEADERS)

    return router
