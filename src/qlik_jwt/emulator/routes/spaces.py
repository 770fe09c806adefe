"""``/api/v1/spaces`` with their assignments, and ``/api/v1/items`` (the apps in them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from qlik_jwt.emulator.auth import AdminCaller, AnyCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES
from qlik_jwt.emulator.routes.paging import Links, page, self_link
from qlik_jwt.emulator.state.db import iso
from qlik_jwt.emulator.state.spaces import ROLES, Assignment, Item, Space
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["router"]

router = APIRouter(tags=["spaces"])
SPACES = "/api/v1/spaces"

Cursor = Annotated[str | None, Query(max_length=128)]
Role = Literal[ROLES]  # type: ignore[valid-type]


class CreateSpace(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=256)]
    type: Literal["shared", "managed", "data"]
    description: Annotated[str, Field(max_length=1024)] = ""


class SpaceOut(BaseModel):
    id: str
    name: str
    type: str
    description: str
    ownerId: str
    tenantId: str
    createdAt: str
    createdBy: str
    updatedAt: str
    links: dict[str, Any]


class SpaceList(BaseModel):
    data: list[SpaceOut]
    links: Links
    meta: dict[str, int]


class CreateAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["group", "user"]
    assigneeId: Annotated[str, Field(min_length=1, max_length=64)]
    roles: Annotated[list[Role], Field(min_length=1, max_length=len(ROLES))]


class AssignmentOut(BaseModel):
    id: str
    type: str
    assigneeId: str
    roles: list[str]
    spaceId: str
    tenantId: str
    createdAt: str
    createdBy: str
    links: dict[str, Any]


class AssignmentList(BaseModel):
    data: list[AssignmentOut]
    links: Links
    meta: dict[str, int]


class ItemOut(BaseModel):
    id: str
    name: str
    resourceId: str
    resourceType: str
    spaceId: str
    ownerId: str
    tenantId: str
    createdAt: str
    updatedAt: str
    resourceAttributes: dict[str, Any]
    links: dict[str, Any]


class ItemList(BaseModel):
    data: list[ItemOut]
    links: Links


def _space_out(request: Request, tenant: EmulatedTenant, space: Space) -> SpaceOut:
    return SpaceOut(
        id=space.id,
        name=space.name,
        type=space.type,
        description=space.description,
        ownerId=space.owner_id,
        tenantId=tenant.tenant_id,
        createdAt=iso(space.created),
        createdBy=space.owner_id,
        updatedAt=iso(space.updated),
        links={"self": self_link(request, f"{SPACES}/{space.id}")},
    )


def _assignment_out(request: Request, tenant: EmulatedTenant, a: Assignment) -> AssignmentOut:
    return AssignmentOut(
        id=a.id,
        type=a.type,
        assigneeId=a.assignee_id,
        roles=a.roles,
        spaceId=a.space_id,
        tenantId=tenant.tenant_id,
        createdAt=iso(a.created),
        createdBy=a.created_by,
        links={"self": self_link(request, f"{SPACES}/{a.space_id}/assignments/{a.id}")},
    )


def _item_out(request: Request, tenant: EmulatedTenant, item: Item) -> ItemOut:
    return ItemOut(
        id=item.id,
        name=item.name,
        resourceId=item.resource_id,
        resourceType=item.resource_type,
        spaceId=item.space_id,
        ownerId=item.owner_id,
        tenantId=tenant.tenant_id,
        createdAt=iso(item.created),
        updatedAt=iso(item.updated),
        resourceAttributes={"id": item.resource_id, "name": item.name, "spaceId": item.space_id},
        links={"self": self_link(request, f"/api/v1/items/{item.id}")},
    )


@router.post(SPACES, status_code=201, responses=ERROR_RESPONSES)
def create_space(
    request: Request, body: CreateSpace, tenant: TenantDep, caller: AdminCaller
) -> SpaceOut:
    space = tenant.spaces.create(
        body.name, body.type, body.description, owner_id=caller.user.id, now=tenant.now()
    )
    return _space_out(request, tenant, space)


@router.get(SPACES, responses=ERROR_RESPONSES)
def list_spaces(
    request: Request,
    tenant: TenantDep,
    _: AdminCaller,
    name: Annotated[str | None, Query(max_length=256)] = None,
    type: Literal["shared", "managed", "data"] | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    next: Cursor = None,
    prev: Cursor = None,
) -> SpaceList:
    found = [
        s
        for s in tenant.spaces.all()
        if (name is None or s.name == name) and (type is None or s.type == type)
    ]
    chosen, links = page(request, found, limit=limit, next_cursor=next, prev_cursor=prev)
    return SpaceList(
        data=[_space_out(request, tenant, s) for s in chosen],
        links=Links.model_validate(links),
        meta={"count": len(found)},
    )


@router.get(f"{SPACES}/{{space_id}}", responses=ERROR_RESPONSES)
def get_space(request: Request, space_id: str, tenant: TenantDep, _: AdminCaller) -> SpaceOut:
    return _space_out(request, tenant, tenant.spaces.get(space_id))


@router.post(f"{SPACES}/{{space_id}}/assignments", status_code=201, responses=ERROR_RESPONSES)
def create_assignment(
    request: Request,
    space_id: str,
    body: CreateAssignment,
    tenant: TenantDep,
    caller: AdminCaller,
) -> AssignmentOut:
    assignment = tenant.spaces.assign(
        space_id,
        body.type,
        body.assigneeId,
        list(dict.fromkeys(body.roles)),
        created_by=caller.user.id,
        now=tenant.now(),
    )
    return _assignment_out(request, tenant, assignment)


@router.get(f"{SPACES}/{{space_id}}/assignments", responses=ERROR_RESPONSES)
def list_assignments(
    request: Request,
    space_id: str,
    tenant: TenantDep,
    _: AdminCaller,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    next: Cursor = None,
    prev: Cursor = None,
) -> AssignmentList:
    found = tenant.spaces.assignments(space_id)
    chosen, links = page(request, found, limit=limit, next_cursor=next, prev_cursor=prev)
    return AssignmentList(
        data=[_assignment_out(request, tenant, a) for a in chosen],
        links=Links.model_validate(links),
        meta={"count": len(found)},
    )


@router.get(f"{SPACES}/{{space_id}}/assignments/{{assignment_id}}", responses=ERROR_RESPONSES)
def get_assignment(
    request: Request, space_id: str, assignment_id: str, tenant: TenantDep, _: AdminCaller
) -> AssignmentOut:
    return _assignment_out(request, tenant, tenant.spaces.assignment(space_id, assignment_id))


@router.delete(
    f"{SPACES}/{{space_id}}/assignments/{{assignment_id}}",
    status_code=204,
    response_class=Response,
    responses=ERROR_RESPONSES,
)
def delete_assignment(
    space_id: str, assignment_id: str, tenant: TenantDep, _: AdminCaller
) -> Response:
    tenant.spaces.unassign(space_id, assignment_id)
    return Response(status_code=204)


@router.get("/api/v1/items", responses=ERROR_RESPONSES, tags=["items"])
def list_items(
    request: Request,
    tenant: TenantDep,
    caller: AnyCaller,
    resourceType: Annotated[str | None, Query(max_length=64)] = None,
    resourceId: Annotated[str | None, Query(max_length=64)] = None,
    spaceId: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    next: Cursor = None,
    prev: Cursor = None,
) -> ItemList:
    """The apps the caller may open (the administrator sees every item)."""
    found = [
        item
        for item in tenant.spaces.items()
        if (resourceType is None or item.resource_type in resourceType.split(","))
        and (resourceId is None or item.resource_id == resourceId)
        and (spaceId is None or item.space_id == spaceId)
        and (name is None or item.name == name)
        and tenant.spaces.can_open(caller.user, item.resource_id)
    ]
    chosen, links = page(request, found, limit=limit, next_cursor=next, prev_cursor=prev)
    return ItemList(
        data=[_item_out(request, tenant, i) for i in chosen], links=Links.model_validate(links)
    )
