"""A test-only ASGI app that serves ``EngineSession`` on ``/app/{appId}`` over a real websocket.

The emulator's own route adds authentication (session cookie, CSRF, origin); this one only
accepts and then converses as that route does (:func:`qlik_jwt.emulator.routes.engine.converse`),
so engine clients (enigma.js, qix.js, Python) can be tested against the protocol alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from qlik_jwt.emulator.engine import EngineSession, SampleApp
from qlik_jwt.emulator.routes.engine import converse


def engine_test_app(
    apps: Mapping[str, SampleApp],
    *,
    user_name: str = "test-user",
    denied: Collection[str] = (),
) -> Starlette:
    """Every connection gets its own ``EngineSession``; apps in ``denied`` cannot be opened."""

    async def engine(websocket: WebSocket) -> None:
        await websocket.accept()
        session = EngineSession(apps, user_name=user_name, can_open=lambda app: app not in denied)
        await converse(websocket, session)

    return Starlette(routes=[WebSocketRoute("/app/{app_id}", engine)])
