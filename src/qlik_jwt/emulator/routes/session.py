"""The session's CSRF token (``GET /api/v1/csrf-token``) and logout (``POST /logout``).

Qlik documents no logout API; the emulator's is ``POST /logout``, which, like every
cookie-authenticated modifying request, needs the ``qlik-csrf-token`` header.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from qlik_jwt.emulator.auth import MaybeCaller, TenantDep, any_caller, bearer_token
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError

__all__ = ["router"]

router = APIRouter(tags=["session"])


@router.get(
    "/api/v1/csrf-token",
    summary="The session's CSRF token, in response header qlik-csrf-token",
    status_code=204,
    response_class=Response,
    responses={
        204: {
            "description": "The token is in header qlik-csrf-token.",
            "headers": {"qlik-csrf-token": {"schema": {"type": "string"}}},
        },
        **ERROR_RESPONSES,
    },
)
def csrf_token(request: Request, caller: MaybeCaller) -> Response:
    if bearer_token(request) is not None:
        raise QlikError(
            400,
            "CSRF-TOKEN-4",
            "CSRF token not supported for given authentication type",
            "Bearer requests need no CSRF token; only cookie sessions do.",
            reason="csrf_not_supported",
        )
    session = any_caller(request, caller).session
    assert session is not None  # bearer callers were answered above
    return Response(status_code=204, headers={"qlik-csrf-token": session.csrf_token})


@router.post(
    "/logout",
    summary="End the caller's session and clear its cookies (emulator-defined)",
    status_code=204,
    response_class=Response,
    responses={403: ERROR_RESPONSES[403]},
)
def logout(tenant: TenantDep, caller: MaybeCaller) -> Response:
    response = Response(status_code=204)
    if caller is not None and caller.session is not None:
        tenant.sessions.end(caller.session.sid)
    tenant.cookies.clear_session(response)
    return response
