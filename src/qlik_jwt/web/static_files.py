"""``GET /static/{name}``: the front end's files, and only those.

A name is one path segment of lower-case letters, digits, ``.``, ``_`` or ``-`` with an
allowed extension, looked up in the package's ``static`` folder. No sub-folders, no dot
files, no ``..``, no source files; everything else is a 404.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from qlik_jwt.web.errors import WebError

__all__ = ["STATIC_DIR", "static_routes"]

STATIC_DIR = Path(__file__).parent / "static"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*\.(js|css|svg|png)$")


def static_routes(static_dir: Path = STATIC_DIR) -> APIRouter:
    router = APIRouter()
    root = static_dir.resolve()

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        if not NAME.fullmatch(name):
            raise WebError(404, "not-found", "No such file.")
        path = (root / name).resolve()
        if path.parent != root or not path.is_file():
            raise WebError(404, "not-found", "No such file.")
        return FileResponse(
            path,
            media_type=CONTENT_TYPES[path.suffix],
            headers={"Cache-Control": "no-cache"},
        )

    return router
