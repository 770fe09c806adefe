"""The front end's files (``qlik_jwt/web/static``), found by one strict name, and only those.

A name is one path segment of lower-case letters, digits, ``.``, ``_`` or ``-`` with an
allowed extension, looked up in the static folder, then in its ``vendor`` folder (Qlik's
JavaScript, copied there by the build: :mod:`qlik_jwt.embedding.vendor`). No other
sub-folders, no dot files, no ``..``, no source files. Every server of these files (the
web app, each integration) uses :func:`static_file` and sends ``Cache-Control: no-cache`` with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CONTENT_TYPES", "STATIC_DIR", "StaticFile", "static_file"]

STATIC_DIR = Path(__file__).parents[1] / "web" / "static"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
}
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)*\.(js|css|svg|png|json)$")
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class StaticFile:
    """A file to serve: where it is, its media type, and its gzip copy if the build made one
    (Qlik's JavaScript: send it with ``Content-Encoding: gzip`` to browsers accepting it)."""

    path: Path
    media_type: str
    gzip_path: Path | None = None


def static_file(name: str, static_dir: Path = STATIC_DIR) -> StaticFile | None:
    """The file called ``name`` in ``static_dir``, or None (answer 404) for any other name."""
    if not NAME.fullmatch(name):
        return None
    root = static_dir.resolve()
    for folder in (root, root / "vendor"):
        path = (folder / name).resolve()
        if path.parent == folder and path.is_file():
            packed = path.with_name(f"{path.name}.gz")
            return StaticFile(
                path, CONTENT_TYPES[path.suffix], packed if packed.is_file() else None
            )
    return None
