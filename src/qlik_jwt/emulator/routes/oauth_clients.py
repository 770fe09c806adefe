"""``/api/v1/oauth-clients``: create, list, get, patch and delete OAuth clients; add and
delete secrets (rotation).

Administrator only. The answer that creates a client (or a secret) is the only one holding
the secret. ``tokenLifetimeMinutes`` (15 to 1440, default 360) is the emulator's name for the
per-client token lifetime Qlik sets in its Management Console; Qlik's API schema has no
such field. ``allowedOrigins`` is accepted for every ``appType`` (Qlik documents it for
``spa``; the impersonation guides list the page's origins on a ``web`` client).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qlik_jwt.emulator.auth import AdminCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError, validation_problems
from qlik_jwt.emulator.routes.paging import Links, PatchBody, Shape, page, self_link
from qlik_jwt.emulator.state.db import iso
from qlik_jwt.emulator.state.oauth_clients import NewClient, OAuthClientRecord
from qlik_jwt.emulator.state.web_integrations import normalize_origin

__all__ = ["router"]

BASE = "/api/v1/oauth-clients"
router = APIRouter(prefix=BASE, tags=["oauth-clients"])

Text = Annotated[str, Field(max_length=1024)]
GrantType = Literal["client_credentials", "urn:qlik:oauth:user-impersonation"]


class ConnectionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    consentMethod: Literal["trusted"] = "trusted"


class CreateOAuthClient(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    clientName: Annotated[str, Field(min_length=1, max_length=256)]
    appType: Literal["web", "native", "spa", "anonymous-embed"]
    description: Text = ""
    clientUri: Text = ""
    logoUri: Text = ""
    allowedGrantTypes: Annotated[list[GrantType], Field(max_length=2)] = []
    allowedScopes: Annotated[list[Annotated[str, Field(max_length=128)]], Field(max_length=50)] = [
        "user_default"
    ]
    allowedOrigins: Annotated[list[Text], Field(max_length=100)] = []
    redirectUris: Annotated[list[Text], Field(max_length=100)] = []
    connectionConfig: ConnectionConfig = ConnectionConfig()
    tokenLifetimeMinutes: Annotated[int, Field(ge=15, le=1440)] = 360


class SecretHint(BaseModel):
    hint: str
    createdAt: str
    createdBy: str


class OAuthClientOut(Shape):
    clientId: str
    clientName: str
    appType: str
    description: str
    clientUri: str
    allowedGrantTypes: list[str]
    allowedScopes: list[str]
    allowedOrigins: list[str]
    redirectUris: list[str]
    connectionConfig: dict[str, str]
    tokenLifetimeMinutes: int
    clientSecrets: list[SecretHint]
    createdByType: str
    createdAt: str
    updatedAt: str
    links: dict[str, Any]
    clientSecret: str | None = None  # in the creating answer only


class OAuthClientList(BaseModel):
    data: list[OAuthClientOut]
    links: Links


class ClientSecretOut(BaseModel):
    clientId: str
    clientSecret: str
    hint: str
    createdAt: str


def _out(request: Request, client: OAuthClientRecord, secret: str | None = None) -> OAuthClientOut:
    return OAuthClientOut(
        clientId=client.client_id,
        clientName=client.client_name,
        appType=client.app_type,
        description=client.description,
        clientUri=client.client_uri,
        allowedGrantTypes=client.allowed_grant_types,
        allowedScopes=client.allowed_scopes,
        allowedOrigins=client.allowed_origins,
        redirectUris=client.redirect_uris,
        connectionConfig={"consentMethod": client.consent_method},
        tokenLifetimeMinutes=client.token_lifetime_minutes,
        clientSecrets=[
            SecretHint(hint=s.hint, createdAt=iso(s.created), createdBy=s.created_by)
            for s in client.secrets
        ],
        createdByType="user",
        createdAt=iso(client.created),
        updatedAt=iso(client.updated),
        links={"self": self_link(request, f"{BASE}/{client.client_id}")},
        clientSecret=secret,
    )


def _checked(body: CreateOAuthClient) -> NewClient:
    """The client ``body`` describes, with its origins in canonical form; 400 naming the
    field for what Qlik refuses."""
    if body.allowedGrantTypes and body.appType != "web":
        raise QlikError(
            400,
            detail=f"allowedGrantTypes: only for appType 'web' (got {body.appType!r}).",
            reason="invalid_request",
        )
    origins = [normalize_origin(o, field="allowedOrigins") for o in body.allowedOrigins]
    return NewClient(
        client_name=body.clientName,
        app_type=body.appType,
        description=body.description,
        client_uri=body.clientUri,
        allowed_grant_types=list(dict.fromkeys(body.allowedGrantTypes)),
        allowed_scopes=list(dict.fromkeys(body.allowedScopes)),
        allowed_origins=list(dict.fromkeys(origins)),
        redirect_uris=body.redirectUris,
        consent_method=body.connectionConfig.consentMethod,
        token_lifetime_minutes=body.tokenLifetimeMinutes,
    )


def _as_body(client: OAuthClientRecord) -> dict[str, Any]:
    return {
        "clientName": client.client_name,
        "appType": client.app_type,
        "description": client.description,
        "clientUri": client.client_uri,
        "allowedGrantTypes": client.allowed_grant_types,
        "allowedScopes": client.allowed_scopes,
        "allowedOrigins": client.allowed_origins,
        "redirectUris": client.redirect_uris,
        "connectionConfig": {"consentMethod": client.consent_method},
        "tokenLifetimeMinutes": client.token_lifetime_minutes,
    }


PATCHABLE = (
    "/clientName",
    "/description",
    "/clientUri",
    "/allowedGrantTypes",
    "/allowedScopes",
    "/allowedOrigins",
    "/redirectUris",
    "/tokenLifetimeMinutes",
)


@router.post("", status_code=201, responses=ERROR_RESPONSES, response_model_exclude_none=True)
def create_oauth_client(
    request: Request,
    response: Response,
    body: CreateOAuthClient,
    tenant: TenantDep,
    caller: AdminCaller,
) -> OAuthClientOut:
    new = _checked(body)
    client_id, secret = tenant.oauth_clients.create(
        new, created_by=caller.user.id, now=tenant.now()
    )
    response.headers["Cache-Control"] = "no-store"
    return _out(request, tenant.oauth_clients.get(client_id), secret)


@router.get("", responses=ERROR_RESPONSES, response_model_exclude_none=True)
def list_oauth_clients(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next: Annotated[str | None, Query(max_length=128)] = None,
    prev: Annotated[str | None, Query(max_length=128)] = None,
) -> OAuthClientList:
    chosen, links = page(
        request, tenant.oauth_clients.all(), limit=limit, next_cursor=next, prev_cursor=prev
    )
    return OAuthClientList(
        data=[_out(request, c) for c in chosen], links=Links.model_validate(links)
    )


@router.get("/{client_id}", responses=ERROR_RESPONSES, response_model_exclude_none=True)
def get_oauth_client(
    request: Request, client_id: str, tenant: TenantDep, _: AdminCaller
) -> OAuthClientOut:
    return _out(request, tenant.oauth_clients.get(client_id))


@router.patch("/{client_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES)
def patch_oauth_client(
    client_id: str, body: PatchBody, tenant: TenantDep, _: AdminCaller
) -> Response:
    """``replace`` of the fields in :data:`PATCHABLE`; checked as at creation, all or none."""
    fields = _as_body(tenant.oauth_clients.get(client_id))
    for number, operation in enumerate(body):
        if operation.op != "replace" or operation.path not in PATCHABLE:
            raise QlikError(
                400,
                detail=f"[{number}]: {operation.op} {operation.path} is not allowed; use "
                f"replace of {', '.join(PATCHABLE)}.",
                reason="invalid_patch",
            )
        fields[operation.path.lstrip("/")] = operation.value
    try:
        changed = _checked(CreateOAuthClient.model_validate(fields))
    except ValidationError as exc:
        raise QlikError(400, problems=validation_problems(exc.errors())) from None
    tenant.oauth_clients.update(client_id, changed, now=tenant.now())
    return Response(status_code=204)


@router.delete(
    "/{client_id}/client-secrets/{hint}",
    status_code=204,
    response_class=Response,
    responses=ERROR_RESPONSES,
)
def delete_client_secret(client_id: str, hint: str, tenant: TenantDep, _: AdminCaller) -> Response:
    """Delete one secret (by its hint): the last step of rotating a client's secret."""
    tenant.oauth_clients.delete_secret(client_id, hint)
    return Response(status_code=204)


@router.post("/{client_id}/client-secrets", status_code=201, responses=ERROR_RESPONSES)
def create_client_secret(
    client_id: str, response: Response, tenant: TenantDep, caller: AdminCaller
) -> ClientSecretOut:
    tenant.oauth_clients.get(client_id)
    now = tenant.now()
    secret = tenant.oauth_clients.add_secret(client_id, created_by=caller.user.id, now=now)
    response.headers["Cache-Control"] = "no-store"
    return ClientSecretOut(
        clientId=client_id, clientSecret=secret, hint=secret[-4:], createdAt=iso(now)
    )


@router.delete("/{client_id}", status_code=204, response_class=Response, responses=ERROR_RESPONSES)
def delete_oauth_client(client_id: str, tenant: TenantDep, _: AdminCaller) -> Response:
    tenant.oauth_clients.delete(client_id)
    return Response(status_code=204)
