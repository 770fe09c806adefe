"""``EngineSession``: one engine websocket's JSON-RPC 2.0 conversation, as plain data.

The websocket route feeds each text message to :meth:`EngineSession.handle` and sends back
every dict it returns (JSON-encoded; nothing in them needs ``allow_nan``). Nothing here
knows about HTTP or websockets, and nothing raises: malformed JSON, wrong types, unknown
handles or methods, and refusals all become JSON-RPC error responses in Qlik's shape.

Protocol details kept from Qlik's engine (and relied on by enigma.js):

- ``OnConnected`` (``qSessionState: SESSION_CREATED``) is pushed on connect.
- Requests carry ``handle``; ``params`` may be positional or named.
- ``"delta": true`` asks for results as JSON-Patch lists (see :mod:`.delta`).
- Responses list the handles whose layouts changed in ``change`` and the handles that
  were closed in ``close``.
- A request without ``id`` is a notification: it runs, and gets no response.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from qlik_jwt.emulator.engine import api_selections  # noqa: F401  (adds Doc/object methods)
from qlik_jwt.emulator.engine.api_doc import DOC
from qlik_jwt.emulator.engine.api_field import FIELD
from qlik_jwt.emulator.engine.api_global import GLOBAL
from qlik_jwt.emulator.engine.api_object import GENERIC_OBJECT
from qlik_jwt.emulator.engine.apps import SampleApp
from qlik_jwt.emulator.engine.delta import DeltaCache
from qlik_jwt.emulator.engine.errors import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    RPC_INVALID_PARAMS,
    EngineError,
)
from qlik_jwt.emulator.engine.params import bind
from qlik_jwt.emulator.engine.state import Api, Reply, SessionState
from qlik_jwt.errors import describe

__all__ = ["MAX_MESSAGE_CHARS", "EngineSession"]

logger = logging.getLogger(__name__)

# Far above any real request (a large hypercube definition is a few kilobytes).
MAX_MESSAGE_CHARS = 1_048_576

_APIS: dict[str, Api] = {api.qtype: api for api in (GLOBAL, DOC, GENERIC_OBJECT, FIELD)}
_NO_ID = object()


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


class _BadRequest(Exception):
    """The message is not a request we can answer with its own id."""

    def __init__(self, error: EngineError, request_id: Any = None) -> None:
        self.error = error
        self.request_id = request_id


class EngineSession:
    """One websocket connection's protocol state.

    ``apps`` maps app ids to apps; ``user_name`` is what ``GetAuthenticatedUser`` answers;
    ``can_open(app_id)`` decides whether this user may open an app (False gives Qlik's
    "Access denied", error 5).
    """

    def __init__(
        self,
        apps: Mapping[str, SampleApp],
        *,
        user_name: str,
        can_open: Callable[[str], bool],
    ) -> None:
        self._state = SessionState(apps, user_name, can_open)
        self._delta = DeltaCache()

    def greeting(self) -> list[dict[str, Any]]:
        """The messages to send as soon as the websocket is open."""
        return [
            {
                "jsonrpc": "2.0",
                "method": "OnConnected",
                "params": {"qSessionState": "SESSION_CREATED"},
            }
        ]

    def handle(self, message: str | bytes) -> list[dict[str, Any]]:
        """Answer one request text: a list with its response, or nothing for notifications."""
        try:
            request_id, request = self._parse(message)
        except _BadRequest as bad:
            return [self._error(bad.request_id, bad.error)]
        try:
            response = self._call(request_id, request)
        except EngineError as error:
            response = self._error(request_id, error)
        except Exception:  # never let a bug close the socket: answer, and log it
            logger.exception("engine method %s failed", describe(request.get("method")))
            response = self._error(
                request_id,
                EngineError(INTERNAL_ERROR, f"{request.get('method')} failed inside the emulator"),
            )
        return [] if request_id is _NO_ID else [response]

    # -- request parsing ---------------------------------------------------------------------

    def _parse(self, message: str | bytes) -> tuple[Any, dict[str, Any]]:
        if isinstance(message, bytes):
            try:
                message = message.decode("utf-8")
            except UnicodeDecodeError:
                raise _BadRequest(EngineError(PARSE_ERROR, "the message is not UTF-8")) from None
        if len(message) > MAX_MESSAGE_CHARS:
            raise _BadRequest(
                EngineError(
                    INVALID_REQUEST,
                    f"the message has {len(message)} characters, more than the "
                    f"{MAX_MESSAGE_CHARS} this engine accepts",
                )
            )
        try:
            request = json.loads(message, parse_float=_finite, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise _BadRequest(EngineError(PARSE_ERROR, f"the message is not JSON: {exc}")) from None
        if not isinstance(request, dict):
            raise _BadRequest(
                EngineError(
                    INVALID_REQUEST,
                    f"a request must be a JSON object, got {describe(request)}; "
                    "batches are not supported, send one request per message",
                )
            )
        request_id = request.get("id", _NO_ID)
        if request_id is not _NO_ID and (
            isinstance(request_id, bool) or not isinstance(request_id, int | str)
        ):
            raise _BadRequest(
                EngineError(INVALID_REQUEST, f"id must be a number or a string, got {request_id!r}")
            )
        problem = self._envelope_problem(request)
        if problem:
            raise _BadRequest(EngineError(INVALID_REQUEST, problem), request_id)
        return request_id, request

    @staticmethod
    def _envelope_problem(request: dict[str, Any]) -> str | None:
        if "jsonrpc" in request and request["jsonrpc"] != "2.0":
            return f'jsonrpc must be "2.0", got {describe(request["jsonrpc"])}'
        if not isinstance(request.get("method"), str):
            return f"method must be a string, got {describe(request.get('method'))}"
        handle = request.get("handle")
        if isinstance(handle, bool) or not isinstance(handle, int):
            return f"handle must be an integer (-1 for Global), got {describe(handle)}"
        if "delta" in request and not isinstance(request["delta"], bool):
            return f"delta must be true or false, got {describe(request['delta'])}"
        return None

    # -- dispatch ----------------------------------------------------------------------------

    def _call(self, request_id: Any, request: dict[str, Any]) -> dict[str, Any]:
        name: str = request["method"]
        handle = self._state.handles.get(request["handle"])
        if handle is None:
            raise EngineError(
                RPC_INVALID_PARAMS,
                f"handle {request['handle']} is not open in this session (never given out, or "
                "its object was destroyed); use the qHandle returned by OpenDoc or GetObject",
            )
        api = _APIS[handle.qtype]
        method = api.methods.get(name)
        if method is None:
            supported = ", ".join(sorted(api.methods))
            raise EngineError(
                METHOD_NOT_FOUND,
                f"{describe(name)} is not a {handle.qtype} method the emulator supports; "
                f"it supports {supported}",
            )
        reply = method.run(self._state, handle, bind(name, method.params, request.get("params")))
        for number in reply.close:
            self._state.release(number)
            self._delta.forget(number)
        return self._response(request_id, request, reply)

    def _response(self, request_id: Any, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        response: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if request.get("delta") is True:
            response["delta"] = True
            response["result"] = {
                member: self._delta.patches(request["handle"], request["method"], member, value)
                for member, value in reply.result.items()
            }
        else:
            response["result"] = reply.result
        if reply.change:
            response["change"] = reply.change
        if reply.close:
            response["close"] = reply.close
        return response

    @staticmethod
    def _error(request_id: Any, error: EngineError) -> dict[str, Any]:
        shown_id = None if request_id is _NO_ID else request_id
        return {"jsonrpc": "2.0", "id": shown_id, "error": error.as_json()}
