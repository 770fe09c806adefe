"""``GET /single/``: one object (``obj``) or sheet (``sheet``) of an app, for an iframe.

Needs a session (otherwise a redirect to ``/login`` that comes back here), or query
``accessToken`` holding an OAuth token exchanged for purpose ``webresource`` (how
``@qlik/api`` authorizes web resources; whether Qlik serves ``/single/`` so is not
determined). The answer carries
``Content-Security-Policy: frame-ancestors 'self' <origins>`` compiled from the CSP origins
with ``frameAncestors``, so a browser refuses to show it inside a page that is not listed.
The ``qlik-csrf-token`` query parameter is checked only with the ``single_requires_csrf``
option (Qlik's need for it is unknown).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qlik_jwt.emulator.auth import (
    CSRF_HEADER,
    WIID,
    TenantDep,
    check_csrf,
    query_token_user,
    session_of,
)
from qlik_jwt.emulator.engine import UnknownObjectError, render_single_page
from qlik_jwt.emulator.errors import ERROR_RESPONSES, QlikError
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["frame_ancestors", "router"]

router = APIRouter(tags=["single"])

Id = Annotated[str | None, Query(max_length=128)]


def frame_ancestors(tenant: EmulatedTenant) -> str:
    """The ``Content-Security-Policy`` value that lets only listed origins frame a page."""
    sources = " ".join(["'self'", *tenant.csp_origins.sources("frame-ancestors")])
    return f"frame-ancestors {sources}"


@router.get(
    "/single/",
    summary="An app object or sheet as an HTML page for an iframe",
    response_class=HTMLResponse,
    responses={302: {"description": "No session: to /login and back."}, **ERROR_RESPONSES},
)
def single(
    request: Request,
    tenant: TenantDep,
    appid: Id = None,
    obj: Id = None,
    sheet: Id = None,
    opt: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    found = query_token_user(request, tenant, "webresource")
    if found is not None:
        user = found[0]
    else:
        session = session_of(request, tenant)
        if session is None:
            back = {"returnto": str(request.url.path) + "?" + request.url.query}
            if request.query_params.get(WIID):
                back[WIID] = request.query_params[WIID]
            return RedirectResponse("/login?" + urlencode(back), status_code=302)
        if tenant.options.single_requires_csrf:
            needed = f"/single/ needs query parameter {CSRF_HEADER} with the session's token"
            check_csrf(session, request.query_params.get(CSRF_HEADER), needed=needed)
        user = tenant.users.get(session.user_id)
    if not appid:
        raise QlikError(400, detail="appid: give the app's id.", reason="invalid_request")
    app = tenant.apps.get(appid)
    if app is None:
        raise QlikError(404, detail=f"No app with id {appid!r}.", reason="not_found")
    if not tenant.spaces.can_open(user, appid):
        raise QlikError(
            403,
            detail=f"User {user.subject!r} may not open app {appid!r}: no group of theirs is "
            "assigned to the app's space.",
            reason="no_access",
        )
    try:
        page = render_single_page(app, object_id=obj, sheet_id=sheet, options=opt)
    except UnknownObjectError as exc:
        raise QlikError(404, detail=str(exc), reason="not_found") from None
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": frame_ancestors(tenant),
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
