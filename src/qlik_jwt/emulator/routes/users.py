"""``/api/v1/users`` (with ``users/me``), ``/api/v1/groups`` and ``/api/v1/groups/settings``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from qlik_jwt.emulator.auth import AdminCaller, AnyCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError
from qlik_jwt.emulator.routes.paging import (
    Links,
    PatchBody,
    Shape,
    matching,
    page,
    parse_filter,
    self_link,
)
from qlik_jwt.emulator.state.db import iso
from qlik_jwt.emulator.state.tenant import GroupSettings, group_settings, set_group_settings
from qlik_jwt.emulator.state.users import Group, User
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["router"]

router = APIRouter(tags=["users"])
USERS = "/api/v1/users"
GROUPS = "/api/v1/groups"

Cursor = Annotated[str | None, Query(max_length=128)]


class AssignedGroup(BaseModel):
    id: str
    name: str
    providerType: str


class UserOut(Shape):
    id: str
    tenantId: str
    name: str
    subject: str
    status: str
    email: str | None = None
    assignedGroups: list[AssignedGroup]
    assignedRoles: list[dict[str, str]]
    assignedScopes: list[str]
    createdAt: str
    lastUpdatedAt: str
    links: dict[str, Any]


class UserList(BaseModel):
    data: list[UserOut]
    links: Links


class CreateUser(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    subject: Annotated[str, Field(min_length=1, max_length=256)]
    name: Annotated[str, Field(min_length=1, max_length=256)]
    email: Annotated[str, Field(max_length=256)] = ""
    status: Literal["active", "invited", "disabled"] = "active"


class CreateGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=256)]
    providerType: Literal["idp", "custom"] = "idp"
    description: Annotated[str, Field(max_length=1024)] = ""
    status: Literal["active"] = "active"


class UserPatchOperation(BaseModel):
    """One operation of ``PATCH /api/v1/users/{id}`` (Qlik's ops include ``remove-value``)."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["replace", "add", "remove-value"]
    path: Annotated[str, Field(max_length=256)]
    value: Any = None


class GroupOut(BaseModel):
    id: str
    tenantId: str
    name: str
    status: str
    providerType: str
    assignedRoles: list[dict[str, str]]
    createdAt: str
    lastUpdatedAt: str
    links: dict[str, Any]


class GroupList(BaseModel):
    data: list[GroupOut]
    links: Links


class GroupSettingsOut(BaseModel):
    autoCreateGroups: bool
    syncIdpGroups: bool
    links: dict[str, Any]


ADMIN_ROLE = {"id": "tenantadmin", "name": "TenantAdmin", "type": "default", "level": "admin"}


def user_out(request: Request, tenant: EmulatedTenant, user: User) -> UserOut:
    shown = user.email_verified or not tenant.options.hide_unverified_email
    return UserOut(
        id=user.id,
        tenantId=tenant.tenant_id,
        name=user.name,
        subject=user.subject,
        status=user.status,
        email=user.email if shown and user.email else None,
        assignedGroups=[
            AssignedGroup(id=g.id, name=g.name, providerType=g.provider_type) for g in user.groups
        ],
        assignedRoles=[ADMIN_ROLE] if user.is_admin else [],
        assignedScopes=[],
        createdAt=iso(user.created),
        lastUpdatedAt=iso(user.last_updated),
        links={"self": self_link(request, f"{USERS}/{user.id}")},
    )


def _group_out(request: Request, tenant: EmulatedTenant, group: Group) -> GroupOut:
    return GroupOut(
        id=group.id,
        tenantId=tenant.tenant_id,
        name=group.name,
        status="active",
        providerType=group.provider_type,
        assignedRoles=[],
        createdAt=iso(group.created),
        lastUpdatedAt=iso(group.last_updated),
        links={"self": self_link(request, f"{GROUPS}/{group.id}")},
    )


@router.get(
    f"{USERS}/me",
    summary="The caller: 301 to /api/v1/users/{id} (or 200 with users_me_redirect off)",
    responses={301: {"description": "See /api/v1/users/{userId}."}, **ERROR_RESPONSES},
    response_model=UserOut,
)
def users_me(request: Request, tenant: TenantDep, caller: AnyCaller) -> Any:
    if tenant.options.users_me_redirect:
        return RedirectResponse(f"{USERS}/{caller.user.id}", status_code=301)
    return user_out(request, tenant, caller.user)


@router.get(USERS, responses=ERROR_RESPONSES)
def list_users(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    filter: Annotated[str | None, Query(max_length=1024)] = None,
    subject: Annotated[str | None, Query(max_length=256)] = None,
    email: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next: Cursor = None,
    prev: Cursor = None,
) -> UserList:
    wanted = parse_filter(filter, ("subject", "email", "name", "id", "status"))
    wanted.update({k: v for k, v in (("subject", subject), ("email", email)) if v})
    found = matching(tenant.users.all(), wanted, lambda u, f: getattr(u, f))
    chosen, links = page(request, found, limit=limit, next_cursor=next, prev_cursor=prev)
    return UserList(
        data=[user_out(request, tenant, u) for u in chosen], links=Links.model_validate(links)
    )


@router.post(USERS, status_code=201, responses=ERROR_RESPONSES)
def create_user(request: Request, body: CreateUser, tenant: TenantDep, _: AdminCaller) -> UserOut:
    user = tenant.users.create(
        body.subject, body.name, body.email, status=body.status, now=tenant.now()
    )
    return user_out(request, tenant, user)


@router.get(f"{USERS}/{{user_id}}", responses=ERROR_RESPONSES)
def get_user(request: Request, user_id: str, tenant: TenantDep, caller: AnyCaller) -> UserOut:
    if not caller.user.is_admin and caller.user.id != user_id:
        raise QlikError(403, detail="A user may read only their own record.", reason="not_admin")
    return user_out(request, tenant, tenant.users.get(user_id))


def _group_refs(tenant: EmulatedTenant, number: int, value: Any) -> list[str]:
    """Group ids from ``value``: a ``{"id"}`` or ``{"name"}`` object, or a list of them."""
    items = value if isinstance(value, list) else [value]
    by_name = {g.name: g.id for g in tenant.users.groups()}
    ids = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.append(item["id"])
        elif isinstance(item, dict) and item.get("name") in by_name:
            ids.append(by_name[item["name"]])
        else:
            raise QlikError(
                400,
                detail=f'[{number}]: /assignedGroups values are {{"id": ...}} objects of '
                f"existing groups (got {item!r}); create groups with POST /api/v1/groups.",
                reason="invalid_patch",
            )
    return ids


@router.patch(
    f"{USERS}/{{user_id}}", status_code=204, response_class=Response, responses=ERROR_RESPONSES
)
def patch_user(
    user_id: str,
    body: Annotated[list[UserPatchOperation], Field(min_length=1, max_length=20)],
    tenant: TenantDep,
    _: AdminCaller,
) -> Response:
    """``replace``/``add``/``remove-value`` of ``/assignedGroups``; ``replace`` of ``/name``
    and ``/status``. All operations apply together or not at all."""
    now = tenant.now()
    with tenant.db.transaction():
        user = tenant.users.get(user_id)
        groups = [g.id for g in user.groups]
        name, status = None, None
        for number, operation in enumerate(body):
            where = (operation.op, operation.path)
            if operation.path == "/assignedGroups":
                refs = _group_refs(tenant, number, operation.value)
                if operation.op == "replace":
                    groups = refs
                elif operation.op == "add":
                    groups += [g for g in refs if g not in groups]
                else:
                    groups = [g for g in groups if g not in refs]
            elif where == ("replace", "/status") and operation.value in ("active", "disabled"):
                status = operation.value
            elif where == ("replace", "/name") and isinstance(operation.value, str):
                name = operation.value.strip() or None
            else:
                raise QlikError(
                    400,
                    detail=f"[{number}]: {operation.op} {operation.path} with value "
                    f"{operation.value!r} is not supported; use /assignedGroups (replace, add, "
                    "remove-value), /status (replace: active or disabled) or /name (replace).",
                    reason="invalid_patch",
                )
        tenant.users.set_groups(user_id, groups, now=now)
        if name or status:
            tenant.users.update(user_id, name=name, status=status, now=now)
    return Response(status_code=204)


@router.delete(
    f"{USERS}/{{user_id}}", status_code=204, response_class=Response, responses=ERROR_RESPONSES
)
def delete_user(user_id: str, tenant: TenantDep, _: AdminCaller) -> Response:
    tenant.users.delete(user_id)
    return Response(status_code=204)


@router.get(f"{GROUPS}/settings", responses=ERROR_RESPONSES, tags=["groups"])
def get_group_settings(request: Request, tenant: TenantDep, _: AdminCaller) -> GroupSettingsOut:
    settings = group_settings(tenant.db)
    return GroupSettingsOut(
        autoCreateGroups=settings.auto_create_groups,
        syncIdpGroups=settings.sync_idp_groups,
        links={"self": self_link(request, f"{GROUPS}/settings")},
    )


@router.patch(
    f"{GROUPS}/settings",
    status_code=204,
    response_class=Response,
    responses=ERROR_RESPONSES,
    tags=["groups"],
)
def patch_group_settings(body: PatchBody, tenant: TenantDep, _: AdminCaller) -> Response:
    current = group_settings(tenant.db)
    values = {
        "autoCreateGroups": current.auto_create_groups,
        "syncIdpGroups": current.sync_idp_groups,
    }
    for number, operation in enumerate(body):
        name = operation.path.lstrip("/")
        if operation.op != "replace" or name not in values:
            raise QlikError(
                400,
                detail=f"[{number}]: {operation.op} {operation.path} is not allowed; use "
                '{"op": "replace", "path": "/autoCreateGroups" or "/syncIdpGroups", '
                '"value": true}.',
                reason="invalid_patch",
            )
        if not isinstance(operation.value, bool):
            raise QlikError(
                400,
                detail=f"[{number}]: {operation.path} must be true or false, "
                f"got {operation.value!r}.",
                reason="invalid_patch",
            )
        values[name] = operation.value
    set_group_settings(
        tenant.db, GroupSettings(values["autoCreateGroups"], values["syncIdpGroups"])
    )
    return Response(status_code=204)


@router.get(GROUPS, responses=ERROR_RESPONSES, tags=["groups"])
def list_groups(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    filter: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next: Cursor = None,
    prev: Cursor = None,
) -> GroupList:
    wanted = parse_filter(filter, ("name", "id"))
    found = matching(tenant.users.groups(), wanted, lambda g, f: getattr(g, f))
    chosen, links = page(request, found, limit=limit, next_cursor=next, prev_cursor=prev)
    return GroupList(
        data=[_group_out(request, tenant, g) for g in chosen], links=Links.model_validate(links)
    )


@router.post(GROUPS, status_code=201, responses=ERROR_RESPONSES, tags=["groups"])
def create_group(
    request: Request, body: CreateGroup, tenant: TenantDep, _: AdminCaller
) -> GroupOut:
    group = tenant.users.create_group(body.name, provider_type=body.providerType, now=tenant.now())
    return _group_out(request, tenant, group)


@router.get(f"{GROUPS}/{{group_id}}", responses=ERROR_RESPONSES, tags=["groups"])
def get_group(request: Request, group_id: str, tenant: TenantDep, _: AdminCaller) -> GroupOut:
    return _group_out(request, tenant, tenant.users.group(group_id))
