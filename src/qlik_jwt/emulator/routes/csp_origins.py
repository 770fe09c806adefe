"""``/api/v1/csp-origins``: Content-Security-Policy entries and the compiled header."""

from __future__ import annotations

import fnmatch
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from qlik_jwt.emulator.auth import AdminCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError
from qlik_jwt.emulator.routes.paging import Links, page
from qlik_jwt.emulator.state.csp_origins import DIRECTIVES, CspEntry, NewCspEntry
from qlik_jwt.emulator.state.db import iso

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/csp-origins", tags=["csp-origins"])


class Directives(BaseModel):
    """One boolean per CSP directive (the keys of :data:`DIRECTIVES`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    childSrc: bool = False
    connectSrc: bool = False
    connectSrcWSS: bool = False
    fontSrc: bool = False
    formAction: bool = False
    frameAncestors: bool = False
    frameSrc: bool = False
    imgSrc: bool = False
    mediaSrc: bool = False
    objectSrc: bool = False
    scriptSrc: bool = False
    styleSrc: bool = False
    workerSrc: bool = False


class CspEntryContent(Directives):
    """Qlik's ``CSPEntryContent``."""

    origin: Annotated[str, Field(min_length=1, max_length=256)]
    name: Annotated[str, Field(max_length=512)] = ""
    description: Annotated[str, Field(max_length=1024)] = ""


class CspEntryOut(Directives):
    id: str
    origin: str
    name: str
    description: str
    createdDate: str
    modifiedDate: str


class CspEntryList(BaseModel):
    data: list[CspEntryOut]
    links: Links


def _new(body: CspEntryContent) -> NewCspEntry:
    values = body.model_dump()
    return NewCspEntry(
        body.origin, body.name, body.description, {name: values[name] for name in DIRECTIVES}
    )


def _out(entry: CspEntry, keep_scheme: bool) -> CspEntryOut:
    return CspEntryOut(
        id=entry.id,
        origin=entry.origin(keep_scheme),
        name=entry.name,
        description=entry.description,
        createdDate=iso(entry.created),
        modifiedDate=iso(entry.modified),
        **entry.directives,
    )


@router.get(
    "/actions/generate-header",
    summary="The compiled Content-Security-Policy header (JSON or text/plain)",
    responses={
        200: {
            "content": {
                "application/json": {"example": {"Content-Security-Policy": "..."}},
                "text/plain": {},
            }
        },
        406: {"description": "Neither JSON nor plain text is acceptable."},
        **ERROR_RESPONSES,
    },
)
def generate_header(request: Request, tenant: TenantDep, _: AdminCaller) -> Response:
    header = tenant.csp_origins.compile_header()
    accept = request.headers.get("accept", "*/*").lower()
    if (
        not accept.strip()
        or "application/json" in accept
        or "*/*" in accept
        or "application/*" in accept
    ):
        return JSONResponse({"Content-Security-Policy": header})
    if "text/plain" in accept or "text/*" in accept:
        return PlainTextResponse(header)
    raise QlikError(
        406,
        detail=f"Accept {accept!r}: this action answers application/json or text/plain.",
        reason="not_acceptable",
    )


@router.post("", status_code=201, responses=ERROR_RESPONSES)
def create_csp_origin(body: CspEntryContent, tenant: TenantDep, _: AdminCaller) -> CspEntryOut:
    entry = tenant.csp_origins.create(_new(body), now=tenant.now())
    return _out(entry, tenant.options.csp_origin_keeps_scheme)


@router.get("", responses=ERROR_RESPONSES)
def list_csp_origins(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    name: Annotated[str | None, Query(max_length=512)] = None,
    origin: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next: Annotated[str | None, Query(max_length=128)] = None,
    prev: Annotated[str | None, Query(max_length=128)] = None,
    sort: Annotated[str | None, Query(pattern="^-?(name|origin|createdDate|modifiedDate)$")] = None,
) -> CspEntryList:
    keep = tenant.options.csp_origin_keeps_scheme
    entries = tenant.csp_origins.all()
    for directive in DIRECTIVES:
        wanted = request.query_params.get(directive)
        if wanted is not None:
            if wanted not in ("true", "false"):
                raise QlikError(
                    400, detail=f"{directive}: must be true or false.", reason="invalid_request"
                )
            entries = [e for e in entries if e.directives.get(directive) == (wanted == "true")]
    if name:
        entries = [e for e in entries if fnmatch.fnmatch(e.name.lower(), name.lower())]
    if origin:
        entries = [e for e in entries if fnmatch.fnmatch(e.origin(keep).lower(), origin.lower())]
    if sort:
        field = sort.lstrip("-")
        keys: dict[str, Any] = {
            "name": lambda e: e.name,
            "origin": lambda e: e.host,
            "createdDate": lambda e: e.created,
            "modifiedDate": lambda e: e.modified,
        }
        entries.sort(key=keys[field], reverse=sort.startswith("-"))
    chosen, links = page(request, entries, limit=limit, next_cursor=next, prev_cursor=prev)
    return CspEntryList(data=[_out(e, keep) for e in chosen], links=Links.model_validate(links))


@router.get("/{entry_id}", responses=ERROR_RESPONSES)
def get_csp_origin(entry_id: str, tenant: TenantDep, _: AdminCaller) -> CspEntryOut:
    return _out(tenant.csp_origins.get(entry_id), tenant.options.csp_origin_keeps_scheme)


@router.put("/{entry_id}", responses=ERROR_RESPONSES)
def replace_csp_origin(
    entry_id: str,
    body: CspEntryContent,
    tenant: TenantDep,
    _: AdminCaller,
) -> CspEntryOut:
    entry = tenant.csp_origins.replace(entry_id, _new(body), now=tenant.now())
    return _out(entry, tenant.options.csp_origin_keeps_scheme)


@router.delete("/{entry_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES)
def delete_csp_origin(entry_id: str, tenant: TenantDep, _: AdminCaller) -> Response:
    tenant.csp_origins.delete(entry_id)
    return Response(status_code=204)
