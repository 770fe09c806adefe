"""``/api/v1/web-integrations``: the origin allow-lists (create, list, get, patch, delete)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from qlik_jwt.emulator.auth import AdminCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError
from qlik_jwt.emulator.routes.paging import Links, PatchBody, self_link
from qlik_jwt.emulator.state.db import iso
from qlik_jwt.emulator.state.web_integrations import WebIntegration
from qlik_jwt.errors import describe

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/web-integrations", tags=["web-integrations"])
BASE = "/api/v1/web-integrations"

Origin = Annotated[str, Field(min_length=1, max_length=256)]
Origins = Annotated[list[Origin], Field(max_length=100)]
_ORIGINS: TypeAdapter[list[str]] = TypeAdapter(Origins, config=ConfigDict(strict=True))


class CreateWebIntegration(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=256)]
    validOrigins: Origins = []


class WebIntegrationOut(BaseModel):
    id: str
    name: str
    validOrigins: list[str]
    tenantId: str
    created: str
    createdBy: str
    lastUpdated: str
    links: dict[str, Any]


class WebIntegrationList(BaseModel):
    data: list[WebIntegrationOut]
    links: Links


def _out(request: Request, tenant_id: str, wi: WebIntegration) -> WebIntegrationOut:
    return WebIntegrationOut(
        id=wi.id,
        name=wi.name,
        validOrigins=wi.valid_origins,
        tenantId=tenant_id,
        created=iso(wi.created),
        createdBy=wi.created_by,
        lastUpdated=iso(wi.last_updated),
        links={"self": self_link(request, f"{BASE}/{wi.id}")},
    )


@router.post("", status_code=201, responses=ERROR_RESPONSES)
def create_web_integration(
    request: Request, body: CreateWebIntegration, tenant: TenantDep, caller: AdminCaller
) -> WebIntegrationOut:
    wi = tenant.web_integrations.create(
        body.name, body.validOrigins, created_by=caller.user.id, now=tenant.now()
    )
    return _out(request, tenant.tenant_id, wi)


@router.get("", responses=ERROR_RESPONSES)
def list_web_integrations(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    limit: Annotated[int, Query(ge=0, le=100)] = 10,
    sort: Literal["name", "+name", "-name"] = "+name",
    startingAfter: Annotated[str | None, Query(max_length=64)] = None,
    endingBefore: Annotated[str | None, Query(max_length=64)] = None,
    tenantId: Annotated[str | None, Query(max_length=64)] = None,
) -> WebIntegrationList:
    if startingAfter and endingBefore:
        raise QlikError(
            400, detail="Give startingAfter or endingBefore, not both.", reason="invalid_request"
        )
    found = sorted(tenant.web_integrations.all(), key=lambda wi: (wi.name, wi.created))
    if sort == "-name":
        found.reverse()
    if tenantId and tenantId != tenant.tenant_id:
        found = []
    ids = [wi.id for wi in found]
    start, stop = 0, len(found)
    if startingAfter:
        start = ids.index(startingAfter) + 1 if startingAfter in ids else len(found)
    if endingBefore:
        stop = ids.index(endingBefore) if endingBefore in ids else 0
        start = max(0, stop - limit)
    chosen = found[start:stop][:limit]
    links: dict[str, Any] = {"self": {"href": str(request.url)}}
    url = request.url.remove_query_params(["startingAfter", "endingBefore"])
    if chosen and start + len(chosen) < len(found):
        links["next"] = {"href": str(url.include_query_params(startingAfter=chosen[-1].id))}
    if chosen and start > 0:
        links["prev"] = {"href": str(url.include_query_params(endingBefore=chosen[0].id))}
    return WebIntegrationList(
        data=[_out(request, tenant.tenant_id, wi) for wi in chosen],
        links=Links.model_validate(links),
    )


@router.get("/{integration_id}", responses=ERROR_RESPONSES)
def get_web_integration(
    request: Request, integration_id: str, tenant: TenantDep, _: AdminCaller
) -> WebIntegrationOut:
    return _out(request, tenant.tenant_id, tenant.web_integrations.get(integration_id))


@router.patch(
    "/{integration_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES
)
def patch_web_integration(
    integration_id: str, body: PatchBody, tenant: TenantDep, _: AdminCaller
) -> Response:
    name: str | None = None
    origins: list[str] | None = None
    for number, operation in enumerate(body):
        if operation.op != "replace" or operation.path not in ("/name", "/validOrigins"):
            raise QlikError(
                400,
                detail=f"[{number}]: {operation.op} {operation.path} is not allowed; use "
                '{"op": "replace", "path": "/name" or "/validOrigins", "value": ...}.',
                reason="invalid_patch",
            )
        value = operation.value
        if operation.path == "/name":
            if not isinstance(value, str) or not 1 <= len(value) <= 256:
                raise QlikError(
                    400,
                    detail=f"[{number}]: /name must be a non-empty string.",
                    reason="invalid_patch",
                )
            name = value
        else:
            try:  # the bounds of a created integration's validOrigins
                origins = _ORIGINS.validate_python(value)
            except ValidationError:
                raise QlikError(
                    400,
                    detail=f"[{number}]: /validOrigins must be a list of at most 100 origins of "
                    f"at most 256 characters, got {describe(value)}.",
                    reason="invalid_patch",
                ) from None
    tenant.web_integrations.update(integration_id, name=name, origins=origins, now=tenant.now())
    return Response(status_code=204)


@router.delete(
    "/{integration_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES
)
def delete_web_integration(integration_id: str, tenant: TenantDep, _: AdminCaller) -> Response:
    tenant.web_integrations.delete(integration_id)
    return Response(status_code=204)
