"""Qlik's error body, one exception that carries it, and the one table of handlers.

Every refusal of the emulator is a :class:`QlikError` (or a framework error translated here)
and leaves as::

    {"errors": [{"code", "title", "detail", "status": "<str>", "meta": {"reason"}}],
     "traceId": "<32 hex>"}

``meta.reason`` is the emulator's own machine-readable reason; ``strict`` mode drops it.
Codes Qlik publishes or was seen to send are used where known (``INTERNAL-TOKEN-1``,
``LOGIN-8`` ...); the rest (``HTTP-<status>``, ``CORS-1``, ``INVALID-TOKEN``) are
emulator-defined and listed as such in the README.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "ERROR_RESPONSES",
    "ErrorItem",
    "ErrorsBody",
    "QlikError",
    "document_errors",
    "error_response",
    "install_error_handlers",
    "unreadable_json",
]

log = logging.getLogger("qlik_jwt.emulator")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request entity too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


@dataclass(frozen=True)
class Problem:
    """One entry of the ``errors`` array."""

    code: str
    title: str
    detail: str | None = None
    reason: str | None = None
    source: Mapping[str, str] | None = None

    def as_dict(self, status: int, strict: bool) -> dict[str, Any]:
        item: dict[str, Any] = {"code": self.code, "title": self.title}
        if self.detail:
            item["detail"] = self.detail
        item["status"] = str(status)
        if self.source:
            item["source"] = dict(self.source)
        if self.reason and not strict:
            item["meta"] = {"reason": self.reason}
        return item


class QlikError(Exception):
    """A refusal in Qlik's shape. ``problems`` holds one entry per reported fault."""

    def __init__(
        self,
        status: int,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        *,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        self.status = status
        self.headers = dict(headers or {})
        self.problems: list[Problem]
        if problems:
            self.problems = list(problems)
        else:
            self.problems = [
                Problem(
                    code or f"HTTP-{status}",
                    title or _TITLES.get(status, "Error"),
                    detail,
                    reason,
                )
            ]
        super().__init__(f"{status} {self.problems[0].code}: {self.problems[0].detail or ''}")

    def body(self, strict: bool) -> dict[str, Any]:
        return {
            "errors": [p.as_dict(self.status, strict) for p in self.problems],
            "traceId": secrets.token_hex(16),
        }


class ErrorItem(BaseModel):
    code: str
    title: str
    detail: str | None = None
    status: str
    source: dict[str, str] | None = None
    meta: dict[str, Any] | None = None


class ErrorsBody(BaseModel):
    """Qlik's error body, for the OpenAPI document."""

    errors: list[ErrorItem]
    traceId: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorsBody, "description": _TITLES[status]}
    for status in (400, 401, 403, 404, 409, 429)
}


def unreadable_json(cause: BaseException) -> QlikError:
    """The 400 for a body Python's JSON reader refused, saying why (``cause`` is its error)."""
    if isinstance(cause, RecursionError):
        detail = "The body nests too deeply to be read; send flatter JSON."
    elif isinstance(cause, UnicodeDecodeError):
        detail = "The body is not UTF-8 text."
    elif isinstance(cause, json.JSONDecodeError):
        detail = f"The body is not valid JSON: {cause}."
    else:  # Python refuses to convert integers of more than 4300 digits
        detail = "The body holds an integer with too many digits."
    return QlikError(400, detail=detail, reason="invalid_request")


def _strict(request: Request) -> bool:
    tenant = getattr(request.app.state, "tenant", None)
    return bool(tenant and tenant.options.strict)


def error_response(error: QlikError, *, strict: bool) -> JSONResponse:
    return JSONResponse(error.body(strict), status_code=error.status, headers=error.headers)


def _pointer(loc: Sequence[Any]) -> tuple[str, dict[str, str]]:
    where, *rest = loc or ("body",)
    path = "/".join(str(part) for part in rest)
    if where == "body":
        return (path or "body"), {"pointer": "/" + path}
    return (path or str(where)), {"parameter": path or str(where)}


def validation_problems(errors: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Pydantic/FastAPI validation errors as Qlik error entries naming the field and value."""
    problems = []
    for err in errors:
        name, source = _pointer(tuple(err.get("loc", ())))
        message = str(err.get("msg", "is invalid"))
        kind = str(err.get("type", ""))
        if kind == "json_invalid":
            detail = "The body is not valid JSON: " + str(err.get("ctx", {}).get("error", message))
        elif kind == "extra_forbidden":
            detail = f"{name}: unknown field; remove it."
        elif kind == "missing":
            detail = f"{name}: required field is missing."
        else:
            shown = repr(err.get("input"))
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            detail = f"{name}: {message} (got {shown})."
        problems.append(Problem("HTTP-400", "Bad request", detail, "invalid_request", source))
    return problems or [Problem("HTTP-400", "Bad request", "The request is invalid.")]


async def _on_qlik_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QlikError)
    return error_response(exc, strict=_strict(request))


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    error = QlikError(400, problems=validation_problems(exc.errors()))
    return error_response(error, strict=_strict(request))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # FastAPI wraps errors raised while reading a body
    if isinstance(exc.__cause__, QlikError):
        return error_response(exc.__cause__, strict=_strict(request))
    if isinstance(exc.__cause__, ValueError | RecursionError):
        return error_response(unreadable_json(exc.__cause__), strict=_strict(request))
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No such endpoint: {request.method} {request.url.path}."
    error = QlikError(exc.status_code, detail=detail, headers=exc.headers, reason="http_error")
    return error_response(error, strict=_strict(request))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %r", request.method, request.url.path)
    error = QlikError(500, detail="The emulator failed; see its log.", reason="internal_error")
    return error_response(error, strict=_strict(request))


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers do: 400 in Qlik's shape, never 422.

    FastAPI documents a 422 for every operation with parameters; the emulator answers
    validation errors with 400 ``ErrorsBody`` instead.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            error_ref = {"$ref": "#/components/schemas/ErrorsBody"}
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.get("responses", {})
                    if responses.pop("422", None) is not None or "400" not in responses:
                        responses.setdefault(
                            "400",
                            {
                                "description": "Bad request",
                                "content": {"application/json": {"schema": error_ref}},
                            },
                        )
            schemas = document.get("components", {}).get("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    """Route every error type to Qlik's body: the one place errors become HTTP answers."""
    app.add_exception_handler(QlikError, _on_qlik_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
