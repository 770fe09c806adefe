"""Shapes shared by the admin APIs: ``links``, cursor paging, JSON Patch operations, filters."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from qlik_jwt.emulator.errors import QlikError

__all__ = ["Href", "Links", "PatchOperation", "Shape", "page", "parse_filter", "self_link"]

T = TypeVar("T")


class Shape(BaseModel):
    """A response body whose unset optional fields are left out, as Qlik leaves them."""

    @model_serializer(mode="wrap")
    def _without_none(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            return {name: value for name, value in data.items() if value is not None}
        return data


class Href(BaseModel):
    href: str


class Links(Shape):
    self: Href
    next: Href | None = None
    prev: Href | None = None


class PatchOperation(BaseModel):
    """One RFC 6902 operation; each API says which ``op``/``path`` pairs it supports."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: Annotated[str, Field(max_length=256)]
    value: Any = None


PatchBody = Annotated[list[PatchOperation], Field(min_length=1, max_length=20)]


def self_link(request: Request, path: str) -> dict[str, str]:
    return {"href": str(request.base_url).rstrip("/") + path}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).rstrip(b"=").decode()


def _offset(cursor: str, name: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("o"):
            raise ValueError(text)
        return max(0, int(text[1:]))
    except (ValueError, UnicodeDecodeError):
        raise QlikError(
            400,
            detail=f"{name}: {cursor!r} is not a cursor this API returned; use links.{name}.",
            reason="invalid_request",
        ) from None


def page(
    request: Request,
    items: Sequence[T],
    *,
    limit: int,
    next_cursor: str | None = None,
    prev_cursor: str | None = None,
) -> tuple[list[T], dict[str, Any]]:
    """One page of ``items`` and its ``links`` (``self``, and ``next``/``prev`` when any)."""
    if next_cursor and prev_cursor:
        raise QlikError(400, detail="Give next or prev, not both.", reason="invalid_request")
    if next_cursor:
        start = _offset(next_cursor, "next")
    elif prev_cursor:
        start = max(0, _offset(prev_cursor, "prev") - limit)
    else:
        start = 0
    chosen = list(items[start : start + limit])
    url = request.url.remove_query_params(["next", "prev"])
    links: dict[str, Any] = {"self": {"href": str(request.url)}}
    if start + limit < len(items):
        links["next"] = {"href": str(url.include_query_params(next=_cursor(start + limit)))}
    if start > 0:
        links["prev"] = {"href": str(url.include_query_params(prev=_cursor(start)))}
    return chosen, links


_CLAUSE = re.compile(r'\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*', re.IGNORECASE)


def parse_filter(text: str | None, fields: Sequence[str]) -> dict[str, str]:
    """``name eq "x" and id eq "y"`` → ``{"name": "x", "id": "y"}`` for the allowed fields.

    A SCIM-style subset: ``eq`` on strings joined by ``and``. 400 for anything else.
    """
    if not text:
        return {}
    found: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.fullmatch(clause)
        if not match or match.group(1) not in fields:
            raise QlikError(
                400,
                detail=f"filter: {text!r} is not supported; use e.g. "
                f'{fields[0]} eq "value" (fields: {", ".join(fields)}; joined by and).',
                reason="invalid_request",
            )
        found[match.group(1)] = re.sub(r"\\(.)", r"\1", match.group(2))
    return found


def matching(items: Sequence[T], wanted: dict[str, str], key: Callable[[T, str], Any]) -> list[T]:
    """The items whose fields (read by ``key``) equal every ``wanted`` value."""
    return [item for item in items if all(key(item, f) == v for f, v in wanted.items())]
