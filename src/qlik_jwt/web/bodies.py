"""Request bodies read with a size cap and parsed strictly: anything else is a 400.

Starlette would read a body of any size into memory; these helpers stop at ``limit`` bytes
and refuse a ``Content-Length`` that is missing its digits or too large before reading.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from qlik_jwt.embedding.refusals import WebError
from qlik_jwt.embedding.tokens import (
    MAX_BODY,
    body_too_large,
    check_body_length,
    check_empty_json,
)

__all__ = ["read_body", "read_empty_json", "read_form"]


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, at most ``limit`` bytes; WebError 400 otherwise."""
    check_body_length(request.headers.get("content-length"), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_empty_json(request: Request, limit: int = MAX_BODY) -> None:
    """Accept no body, or the JSON object ``{}``; anything else is a 400."""
    check_empty_json(await read_body(request, limit))


async def read_form(request: Request, fields: dict[str, int], limit: int = 4096) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body holding exactly ``fields``.

    ``fields`` maps each name to its maximum length. Unknown, repeated, missing or too long
    fields, another content type, or bytes that are not UTF-8 give a WebError 400.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise WebError(
            400,
            "bad-content-type",
            f"Expected a form (application/x-www-form-urlencoded), got {content_type!r}.",
            "Submit the form from the page.",
        )
    body = await read_body(request, limit)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=len(fields) + 1,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError):
        raise WebError(400, "malformed-body", "The form body cannot be parsed.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name not in fields or name in form:
            raise WebError(400, "malformed-body", f"Unexpected or repeated form field {name!r}.")
        if len(value) > fields[name]:
            raise WebError(
                400, "malformed-body", f"Form field {name!r} is longer than {fields[name]}."
            )
        form[name] = value
    missing = [name for name in fields if name not in form]
    if missing:
        raise WebError(400, "malformed-body", f"Form field {missing[0]!r} is missing.")
    return form
