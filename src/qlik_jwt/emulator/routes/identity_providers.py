"""``/api/v1/identity-providers``: JWT identity providers (create, list, get, patch, delete)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from qlik_jwt.emulator.auth import AdminCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError
from qlik_jwt.emulator.routes.paging import Links, PatchBody, page, self_link
from qlik_jwt.emulator.state.db import iso
from qlik_jwt.emulator.state.identity_providers import IdentityProvider, NewIdentityProvider

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/identity-providers", tags=["identity-providers"])
BASE = "/api/v1/identity-providers"


class StaticKey(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kid: Annotated[str, Field(min_length=1, max_length=256)]
    pem: Annotated[str, Field(min_length=1, max_length=16384)]


class JwtOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    issuer: Annotated[str, Field(min_length=1, max_length=512)]
    staticKeys: list[StaticKey]
    jwtLoginEnabled: bool = True

    @field_validator("staticKeys")
    @classmethod
    def _exactly_one(cls, keys: list[StaticKey]) -> list[StaticKey]:
        if len(keys) != 1:
            raise ValueError(
                f"a JWT identity provider holds exactly one static key, got {len(keys)}; "
                "rotate keys by creating a second provider"
            )
        return keys


class CreateJwtIdentityProvider(BaseModel):
    """Qlik's ``CreateJWTAuthPayload`` plus the fields its examples send."""

    model_config = ConfigDict(extra="forbid", strict=True)

    protocol: Literal["jwtAuth"]
    provider: Literal["external"]
    options: JwtOptions
    interactive: Literal[False] = False
    active: bool = True
    description: Annotated[str, Field(max_length=1024)] = ""
    clockToleranceSec: float | None = None
    tenantIds: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=10)] = []

    @field_validator("clockToleranceSec")
    @classmethod
    def _tolerance(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError("must be a number of seconds, 0 or more")
        return value


class StaticKeyOut(BaseModel):
    kid: str
    pem: str


class JwtOptionsOut(BaseModel):
    issuer: str
    staticKeys: list[StaticKeyOut]
    jwtLoginEnabled: bool


class IdentityProviderOut(BaseModel):
    id: str
    tenantIds: list[str]
    provider: str
    protocol: str
    interactive: bool
    active: bool
    description: str
    clockToleranceSec: int
    created: str
    lastUpdated: str
    meta: dict[str, Any]
    options: JwtOptionsOut
    links: dict[str, Any]


class IdentityProviderList(BaseModel):
    data: list[IdentityProviderOut]
    links: Links


def _out(request: Request, idp: IdentityProvider) -> IdentityProviderOut:
    return IdentityProviderOut(
        id=idp.id,
        tenantIds=idp.tenant_ids,
        provider="external",
        protocol="jwtAuth",
        interactive=False,
        active=idp.active,
        description=idp.description,
        clockToleranceSec=idp.clock_tolerance,
        created=iso(idp.created),
        lastUpdated=iso(idp.last_updated),
        meta={},
        options=JwtOptionsOut(
            issuer=idp.issuer,
            staticKeys=[StaticKeyOut(kid=idp.kid, pem=idp.pem)],
            jwtLoginEnabled=idp.jwt_login_enabled,
        ),
        links={"self": self_link(request, f"{BASE}/{idp.id}")},
    )


@router.post("", status_code=201, responses=ERROR_RESPONSES)
def create_identity_provider(
    request: Request, body: CreateJwtIdentityProvider, tenant: TenantDep, _: AdminCaller
) -> IdentityProviderOut:
    options = tenant.options
    tolerance = body.clockToleranceSec
    if tolerance is None:
        tolerance = options.default_clock_tolerance
    if tolerance > options.max_clock_tolerance:
        raise QlikError(
            400,
            detail=f"clockToleranceSec: {tolerance} is over the maximum of "
            f"{options.max_clock_tolerance}; a few seconds cover clock skew.",
            reason="invalid_identity_provider",
        )
    key = body.options.staticKeys[0]
    idp = tenant.identity_providers.create(
        NewIdentityProvider(
            body.options.issuer,
            key.kid,
            key.pem,
            tolerance,
            body.active,
            body.options.jwtLoginEnabled,
            body.description,
            body.tenantIds,
        ),
        now=tenant.now(),
        tenant_id=tenant.tenant_id,
        several_allowed=options.several_jwt_idps,
    )
    return _out(request, idp)


@router.get("", responses=ERROR_RESPONSES)
def list_identity_providers(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    active: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next: Annotated[str | None, Query(max_length=128)] = None,
    prev: Annotated[str | None, Query(max_length=128)] = None,
) -> IdentityProviderList:
    found = tenant.identity_providers.all(active=active)
    chosen, links = page(request, found, limit=limit, next_cursor=next, prev_cursor=prev)
    return IdentityProviderList(
        data=[_out(request, p) for p in chosen], links=Links.model_validate(links)
    )


@router.get("/{idp_id}", responses=ERROR_RESPONSES)
def get_identity_provider(
    request: Request, idp_id: str, tenant: TenantDep, _: AdminCaller
) -> IdentityProviderOut:
    return _out(request, tenant.identity_providers.get(idp_id))


@router.patch("/{idp_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES)
def patch_identity_provider(
    idp_id: str, body: PatchBody, tenant: TenantDep, _: AdminCaller
) -> Response:
    description: str | None = None
    for number, operation in enumerate(body):
        if operation.op != "replace" or operation.path != "/description":
            raise QlikError(
                400,
                detail=f"[{number}]: {operation.op} {operation.path} is not allowed; a jwtAuth "
                'identity provider only takes {"op": "replace", "path": "/description"}.',
                reason="invalid_patch",
            )
        if not isinstance(operation.value, str) or len(operation.value) > 1024:
            raise QlikError(
                400,
                detail=f"[{number}]: /description must be a string of at most 1024 characters.",
                reason="invalid_patch",
            )
        description = operation.value
    assert description is not None
    tenant.identity_providers.set_description(idp_id, description, now=tenant.now())
    return Response(status_code=204)


@router.delete("/{idp_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES)
def delete_identity_provider(idp_id: str, tenant: TenantDep, _: AdminCaller) -> Response:
    tenant.identity_providers.delete(idp_id)
    return Response(status_code=204)
