"""CORS for exactly the origins listed in web integrations, and the gate that refuses the rest.

- A request without ``Origin``, or from the tenant's own origin, passes untouched.
- A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from a listed origin gets
  204 with the allow headers; by default any listed origin passes (a preflight carries no
  custom header values), or only one listed by the web integration its query names.
- Any other request from a listed origin (in the integration its header or query names, else
  in any) gets ``Access-Control-Allow-Origin: <origin>`` (never ``*``), credentials,
  ``Vary: Origin`` and ``Access-Control-Expose-Headers: qlik-csrf-token`` on its answer.
- A request from an unlisted origin gets no CORS headers; :class:`OriginGate` (placed after
  the rate limiter, per the reference's order) answers it 403 ``origin_not_allowed``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import Message, Receive, Scope, Send

from qlik_jwt.emulator.auth import WIID, own_origin, web_integration_id
from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import TenantMiddleware

__all__ = ["ALLOW_HEADERS", "CorsMiddleware", "OriginGate"]

ALLOW_HEADERS = "authorization, content-type, qlik-web-integration-id, qlik-csrf-token"
ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
EXPOSE_HEADERS = "qlik-csrf-token"
REFUSED = "qlik_jwt.origin_refused"


def origin_refusal(origin: str, status: int) -> QlikError:
    return QlikError(
        status,
        "CORS-1",
        "Origin has not been granted access",
        f"Origin {origin!r} is not listed in the web integration; add it to validOrigins "
        "(exact scheme, host and port) and send the web integration id as header and query "
        f"parameter {WIID}.",
        reason="origin_not_allowed",
    )


class CorsMiddleware(TenantMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        origin = connection.headers.get("origin")
        if not origin or origin.lower() == own_origin(connection):
            await self.app(scope, receive, send)
            return
        integrations = self.tenant.web_integrations
        preflight = "access-control-request-method" in connection.headers
        if scope["method"] == "OPTIONS" and preflight:
            named = connection.query_params.get(WIID)
            if self.tenant.options.preflight_needs_wiid_origin and not named:
                allowed = False
            else:
                allowed = integrations.allows(origin, named)
            if allowed:
                await self._preflight(origin, scope, receive, send)
            else:
                error = origin_refusal(origin, self.tenant.options.origin_refused_status)
                await self.refuse(error, scope, receive, send)
            return
        if not integrations.allows(origin, web_integration_id(connection)):
            scope[REFUSED] = origin
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out["Access-Control-Allow-Origin"] = origin
                out["Access-Control-Allow-Credentials"] = "true"
                out["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
                out.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, origin: str, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 204,
                "headers": [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-allow-credentials", b"true"),
                    (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                    (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                    (b"access-control-max-age", b"600"),
                    (b"vary", b"Origin"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


class OriginGate(TenantMiddleware):
    """Answers 403 (configurable) to a request the CORS middleware found unlisted."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = scope.get(REFUSED)
        if scope["type"] == "http" and origin:
            error = origin_refusal(origin, self.tenant.options.origin_refused_status)
            await self.refuse(error, scope, receive, send)
            return
        await self.app(scope, receive, send)
