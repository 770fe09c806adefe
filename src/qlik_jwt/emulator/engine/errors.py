"""The engine's error codes and the one exception that carries them to the JSON-RPC boundary.

Qlik's engine answers a failed request with ``{"code", "parameter", "message"}`` inside the
JSON-RPC ``error`` member. The codes and messages below are Qlik's own:

- JSON-RPC codes (-327xx/-326xx) and the engine's LOCERR codes with their short messages:
  Qlik's localisation strings as collected in https://github.com/countnazgul/qlik-internal-codes
  (``qlik-internal-codes.csv``, second message of each row), consistent with the numbered
  list on https://qlik.dev/apis/json-rpc/qix/errors (e.g. 5 "Access denied").
  "Invalid method parameter(s)" for -32602 is also what enigma.js users quote from a real
  engine (qlik-oss/enigma.js issue #756).
- ``parameter`` is free text in Qlik's answers; ours always says what was wrong, the value
  seen and how to fix it.

:class:`EngineError` never leaves :mod:`qlik_jwt.emulator.engine`: ``EngineSession.handle``
turns it into the error member of a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ACCESS_DENIED",
    "ALREADY_EXISTS",
    "APP_ALREADY_OPEN",
    "APP_INVALID",
    "APP_NOT_FOUND",
    "HC_INVALID_OBJECT",
    "HC_RESULT_TOO_LARGE",
    "INTERNAL_ERROR",
    "INVALID_PARAMETERS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "NOT_FOUND",
    "PARSE_ERROR",
    "RPC_INVALID_PARAMS",
    "EngineError",
    "ErrorCode",
]


@dataclass(frozen=True)
class ErrorCode:
    """One of Qlik's engine error codes with the engine's short message."""

    code: int
    message: str
    name: str


# JSON-RPC protocol errors.
PARSE_ERROR = ErrorCode(-32700, "JSON parse error", "parse error")
INVALID_REQUEST = ErrorCode(-32600, "Invalid JSON request", "invalid request")
METHOD_NOT_FOUND = ErrorCode(-32601, "Method does not exist", "method not found")
RPC_INVALID_PARAMS = ErrorCode(-32602, "Invalid method parameter(s)", "invalid params")
INTERNAL_ERROR = ErrorCode(-32603, "Internal JSON-RPC error", "internal error")

# Engine (LOCERR_*) errors.
NOT_FOUND = ErrorCode(2, "Resource not found", "LOCERR_GENERIC_NOT_FOUND")
ALREADY_EXISTS = ErrorCode(3, "Resource already exists", "LOCERR_GENERIC_ALREADY_EXISTS")
ACCESS_DENIED = ErrorCode(5, "Access denied", "LOCERR_GENERIC_ACCESS_DENIED")
INVALID_PARAMETERS = ErrorCode(8, "Invalid parameters", "LOCERR_GENERIC_INVALID_PARAMETERS")
APP_ALREADY_OPEN = ErrorCode(1002, "App already open", "LOCERR_APP_ALREADY_OPEN")
APP_NOT_FOUND = ErrorCode(1003, "App not found", "LOCERR_APP_NOT_FOUND")
APP_INVALID = ErrorCode(1007, "App invalid", "LOCERR_APP_INVALID")
HC_INVALID_OBJECT = ErrorCode(6000, "Invalid hypercube object", "LOCERR_HC_INVALID_OBJECT")
HC_RESULT_TOO_LARGE = ErrorCode(6001, "Result too large", "LOCERR_HC_RESULT_TOO_LARGE")


class EngineError(Exception):
    """A request the engine refuses; ``parameter`` says what, the value seen and the fix."""

    def __init__(self, error: ErrorCode, parameter: str) -> None:
        self.error = error
        self.parameter = parameter
        super().__init__(f"{error.code} {error.message}: {parameter}")

    def as_json(self) -> dict[str, Any]:
        """The ``error`` member of a JSON-RPC response, in Qlik's shape."""
        return {
            "code": self.error.code,
            "parameter": self.parameter,
            "message": self.error.message,
        }
