"""The engine websocket ``/app/{appId}``: authentication around the engine's JSON-RPC session.

Routed with Qlik's optional path suffixes ``/identity/{x}`` and ``/ttl/{n}`` (accepted; each
connection is its own engine session). Before the upgrade is accepted:

- A bearer admin key or OAuth access token (header, server-to-server and Node) is enough on
  its own; so is query ``accessToken`` holding a token exchanged for purpose ``websocket``
  (browsers, which cannot set headers on a websocket). A browser page using an OAuth token
  must be listed in its client's ``allowedOrigins`` (403 ``OAUTH-29``).
- Otherwise the signed session cookies are needed (401 without), and the CSRF token: from
  query ``qlik-csrf-token`` in a browser (an ``Origin`` header), from that query or the
  same-named header server-to-server (403 ``CSRF-TOKEN-2``).
- A browser from another origin must name a web integration (query or header
  ``qlik-web-integration-id``) that lists its origin (403 ``CORS-1``).

Refusals are HTTP answers in Qlik's error shape (the websocket denial response). Whether
the user may open the app is the engine's question, asked through ``can_open`` at
``OpenDoc`` time: the engine answers "Access denied" (error 5) as Qlik's does.
"""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from qlik_jwt.emulator.auth import (
    CSRF_HEADER,
    bearer_token,
    check_csrf,
    own_origin,
    query_token_user,
    session_of,
    web_integration_id,
)
from qlik_jwt.emulator.engine import EngineSession
from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import refuse_websocket
from qlik_jwt.emulator.middleware.cors import origin_refusal
from qlik_jwt.emulator.state.users import User
from qlik_jwt.emulator.state.web_integrations import header_origin
from qlik_jwt.emulator.tenant import EmulatedTenant

__all__ = ["converse", "router"]

log = logging.getLogger("qlik_jwt.emulator")
router = APIRouter()


def _oauth_origin(websocket: WebSocket, tenant: EmulatedTenant, client_id: str) -> None:
    """A browser (an ``Origin``) opening the engine with an OAuth token must be on a page
    its OAuth client lists in ``allowedOrigins``."""
    origin = websocket.headers.get("origin")
    if origin is None or origin.lower() == own_origin(websocket):
        return
    client = tenant.oauth_clients.find(client_id)
    listed = header_origin(origin) in (client.allowed_origins if client else [])
    if tenant.options.websocket_checks_origin and not listed:
        raise QlikError(
            tenant.options.origin_refused_status,
            "OAUTH-29",
            "Invalid Origin Header",
            f"Origin {origin!r} is not in the OAuth client's allowedOrigins; add it.",
            reason="origin_not_allowed",
        )


def authorize(websocket: WebSocket, tenant: EmulatedTenant) -> User:
    """The user this upgrade request speaks for; QlikError when it must be refused."""
    token = bearer_token(websocket)
    if token is not None:
        found = tenant.bearer_user(token)
        if found is None:
            raise QlikError(401, detail="The bearer token is not valid here.", reason="bad_bearer")
        if found[1] is not None:
            _oauth_origin(websocket, tenant, found[1].client_id)
        return found[0]
    found = query_token_user(websocket, tenant, "websocket")
    if found is not None:
        if found[1] is not None:
            _oauth_origin(websocket, tenant, found[1].client_id)
        return found[0]
    session = session_of(websocket, tenant)
    user = tenant.users.find(session.user_id) if session else None
    if session is None or user is None:
        problem = getattr(websocket.state, "session_problem", "no_session")
        raise QlikError(
            401,
            detail="The engine websocket needs the session cookies from /login/jwt-session "
            f"({problem}).",
            reason=problem,
        )
    origin = websocket.headers.get("origin")
    browser = origin is not None
    checked = tenant.options.websocket_checks_origin
    if origin is not None and checked and origin.lower() != own_origin(websocket):
        integration = web_integration_id(websocket)
        if not integration or not tenant.web_integrations.allows(origin, integration):
            raise origin_refusal(origin, tenant.options.origin_refused_status)
    supplied = websocket.query_params.get(CSRF_HEADER)
    if not browser:
        supplied = supplied or websocket.headers.get(CSRF_HEADER)
    where = "query parameter" if browser else "query parameter or header"
    check_csrf(session, supplied, needed=f"The engine websocket needs {where} {CSRF_HEADER}")
    return user


@router.websocket("/app/{app_id}")
@router.websocket("/app/{app_id}/identity/{identity}")
@router.websocket("/app/{app_id}/ttl/{ttl}")
@router.websocket("/app/{app_id}/identity/{identity}/ttl/{ttl}")
async def engine_websocket(websocket: WebSocket, app_id: str) -> None:
    tenant: EmulatedTenant = websocket.app.state.tenant
    try:
        user = authorize(websocket, tenant)
    except QlikError as refusal:
        log.info("engine websocket refused: %s", refusal.problems[0].reason)
        await refuse_websocket(websocket, refusal, tenant.options.strict)
        return
    faults = tenant.faults.settings
    if faults.engine_delay_ms:
        await asyncio.sleep(faults.engine_delay_ms / 1000)
    await websocket.accept()
    close_code = tenant.faults.take_engine_close()
    if close_code is not None:
        await websocket.close(code=close_code, reason="closed by the emulator's fault injection")
        return
    session = EngineSession(
        tenant.apps,
        user_name=user.subject,
        can_open=lambda wanted: tenant.spaces.can_open(user, wanted),
    )
    await converse(websocket, session)


async def converse(websocket: WebSocket, session: EngineSession) -> None:
    """Greet an accepted websocket, then answer each of its messages until it closes.

    Answers are strict JSON (``EngineSession`` never returns NaN or infinities); a method runs
    in a worker thread, as it may read the tenant's database.
    """
    try:
        for greeting in session.greeting():
            await websocket.send_text(json.dumps(greeting, allow_nan=False))
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                return
            text = received.get("text")
            frame: str | bytes = text if text is not None else received.get("bytes") or b""
            for reply in await run_in_threadpool(session.handle, frame):
                await websocket.send_text(json.dumps(reply, allow_nan=False))
    except WebSocketDisconnect:
        return
