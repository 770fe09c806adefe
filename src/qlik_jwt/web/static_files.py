"""``GET /static/{name}``: the front end's files, and only those (the lookup is
:func:`qlik_jwt.embedding.static.static_file`; everything else is a 404, answered here so
the router works in any FastAPI app).

Qlik's JavaScript goes out as its gzip copy to browsers that accept it; every file carries
an ETag, and a matching ``If-None-Match`` gets ``304`` (``no-cache`` makes browsers ask, and
8 MB of charts should not travel again on every page load)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from qlik_jwt.embedding.static import HEADERS, STATIC_DIR, static_file
from qlik_jwt.web.errors import WebError, refusal_response

__all__ = ["STATIC_DIR", "static_routes"]


def static_routes(static_dir: Path = STATIC_DIR) -> APIRouter:
    router = APIRouter()

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str, request: Request) -> Response:
        found = static_file(name, static_dir)
        if found is None:
            return refusal_response(WebError(404, "not-found", "No such file."))
        path, headers = found.path, dict(HEADERS)
        if found.gzip_path is not None:
            headers["Vary"] = "Accept-Encoding"
            if "gzip" in request.headers.get("accept-encoding", "").lower():
                path = found.gzip_path
                headers["Content-Encoding"] = "gzip"
        stat = path.stat()
        headers["ETag"] = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        if headers["ETag"] in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return FileResponse(path, media_type=found.media_type, headers=headers, stat_result=stat)

    return router
