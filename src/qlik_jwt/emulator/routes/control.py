"""``/_emulator/*``: the emulator's own controls (admin only): faults and sign-in users.

Not part of Qlik's API; never rate-limited or faulted.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from qlik_jwt.emulator.auth import AdminCaller, TenantDep
from qlik_jwt.emulator.errors import ERROR_RESPONSES
from qlik_jwt.emulator.faults import FaultSettings
from qlik_jwt.emulator.state.users import DirectoryUser

__all__ = ["router"]

router = APIRouter(prefix="/_emulator", tags=["emulator controls"])


@router.get("/faults", responses=ERROR_RESPONSES)
def get_faults(tenant: TenantDep, _: AdminCaller) -> FaultSettings:
    """The faults in force, with what is left of each count."""
    return tenant.faults.settings


@router.put("/faults", responses=ERROR_RESPONSES)
def put_faults(body: FaultSettings, tenant: TenantDep, _: AdminCaller) -> FaultSettings:
    """Replace every fault at once (fields left out are off)."""
    tenant.faults.replace(body)
    return tenant.faults.settings


@router.delete("/faults", status_code=204, response_class=Response, responses=ERROR_RESPONSES)
def clear_faults(tenant: TenantDep, _: AdminCaller) -> Response:
    tenant.faults.reset()
    return Response(status_code=204)


class SignInUser(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    subject: Annotated[str, Field(min_length=1, max_length=256)]
    name: Annotated[str, Field(min_length=1, max_length=256)]
    email: Annotated[str, Field(min_length=3, max_length=256)]
    groups: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=256)]], Field(max_length=50)
    ] = []


@router.get("/sign-in-users", responses=ERROR_RESPONSES)
def list_sign_in_users(tenant: TenantDep, _: AdminCaller) -> list[SignInUser]:
    """The people offered on the interactive sign-in page."""
    return [
        SignInUser(subject=p.subject, name=p.name, email=p.email, groups=p.groups)
        for p in tenant.users.directory()
    ]


@router.post("/sign-in-users", status_code=201, responses=ERROR_RESPONSES)
def add_sign_in_user(body: SignInUser, tenant: TenantDep, _: AdminCaller) -> SignInUser:
    """Offer one more person on the sign-in page (same subject: replaced)."""
    tenant.users.add_to_directory(
        DirectoryUser(body.subject, body.name, body.email, list(body.groups))
    )
    return body
