"""Refuses request bodies over ``max_body_bytes`` with 413 in Qlik's error shape.

A declared ``Content-Length`` over the limit is answered at once; a body that turns out
longer while it is read raises the same error inside the route, where the error handlers
answer it. Nothing has been stored by then, so nothing is half-written.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import TenantMiddleware

__all__ = ["BodyLimitMiddleware"]


def _too_large(limit: int) -> QlikError:
    return QlikError(
        413,
        detail=f"The request body is over the limit of {limit} bytes.",
        reason="body_too_large",
    )


def _declared_over(declared: str, limit: int) -> bool:
    """True for a ``Content-Length`` of ASCII digits over ``limit``; other values are left to
    the counted body ("²" passes ``isdigit()`` but not ``int()``, which refuses 5,000 digits,
    leading zeros included)."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    digits = declared.lstrip("0")
    return len(digits) > len(str(limit)) or int(digits or "0") > limit


class BodyLimitMiddleware(TenantMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.tenant.options.max_body_bytes
        declared = Headers(scope=scope).get("content-length", "")
        if _declared_over(declared, limit):
            await self.refuse(_too_large(limit), scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        await self.app(scope, counted, send)
