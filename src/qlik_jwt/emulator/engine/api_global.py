"""Global (handle -1): opening the app, and what clients ask about the engine on their own."""

from __future__ import annotations

from typing import Any

from qlik_jwt.emulator.engine.document import Document
from qlik_jwt.emulator.engine.errors import (
    ACCESS_DENIED,
    APP_ALREADY_OPEN,
    APP_INVALID,
    APP_NOT_FOUND,
    EngineError,
)
from qlik_jwt.emulator.engine.params import Param
from qlik_jwt.emulator.engine.state import ENGINE_VERSION, Api, Handle, Reply, SessionState
from qlik_jwt.errors import describe

__all__ = ["GLOBAL"]

GLOBAL = Api("Global")


@GLOBAL.method(
    "OpenDoc",
    Param("qDocName", str, required=True),
    Param("qUserName", str, ""),
    Param("qPassword", str, ""),
    Param("qSerial", str, ""),
    Param("qNoData", bool, False),
)
def open_doc(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    """Open an app by id. One app per session, as on a Qlik Cloud engine websocket."""
    app_id = args["qDocName"]
    app = state.apps.get(app_id)
    if app is None:
        raise EngineError(
            APP_NOT_FOUND,
            f"no app with id {describe(app_id)} on this tenant; check the app id "
            "(GET /api/v1/items?resourceType=app lists the apps you can see)",
        )
    if not state.can_open(app_id):
        raise EngineError(
            ACCESS_DENIED,
            f"user {describe(state.user_name)} may not open app {describe(app_id)}; "
            "assign the app's space to one of the user's groups (role consumer)",
        )
    if state.document is not None:
        raise EngineError(
            APP_ALREADY_OPEN,
            f"app {describe(state.document.app.id)} is already open in this session; "
            "use GetActiveDoc, or open another websocket for another app",
        )
    state.document = Document(app)
    doc = state.handle_for("Doc", app.id, "")
    return Reply({"qReturn": doc.interface()})


@GLOBAL.method("GetActiveDoc")
def get_active_doc(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    doc = state.find("Doc", state.document.app.id) if state.document else None
    if doc is None:
        raise EngineError(APP_INVALID, "no app is open in this session; call OpenDoc first")
    return Reply({"qReturn": doc.interface()})


@GLOBAL.method("EngineVersion")
def engine_version(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qVersion": {"qComponentVersion": ENGINE_VERSION}})


@GLOBAL.method("ProductVersion")
def product_version(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qReturn": ENGINE_VERSION})


@GLOBAL.method("GetAuthenticatedUser")
def get_authenticated_user(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qReturn": state.user_name})


@GLOBAL.method("IsDesktopMode")
def is_desktop_mode(state: SessionState, handle: Handle, args: dict[str, Any]) -> Reply:
    return Reply({"qReturn": False})
