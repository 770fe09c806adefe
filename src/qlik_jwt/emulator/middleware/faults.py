"""Applies the current faults to every HTTP request: latency, forced errors, dropped cookies.

``/_emulator/*`` (the faults API itself) is never faulted.
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import Message, Receive, Scope, Send

from qlik_jwt.emulator.auth import is_cross_site
from qlik_jwt.emulator.errors import QlikError
from qlik_jwt.emulator.middleware.base import TenantMiddleware

__all__ = ["FaultsMiddleware"]

CONTROL_PREFIX = "/_emulator"


class FaultsMiddleware(TenantMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        faults = self.tenant.faults
        settings = faults.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        forced = faults.take_error(scope["method"], scope["path"])
        if forced is not None:
            error = QlikError(
                forced.status,
                forced.code,
                detail=f"Forced by the emulator's fault injection for {forced.path}.",
                reason="forced_fault",
            )
            await self.refuse(error, scope, receive, send)
            return
        if settings.drop_cross_site_cookies and is_cross_site(HTTPConnection(scope)):

            async def send_without_cookies(message: Message) -> None:
                if message["type"] == "http.response.start":
                    del MutableHeaders(scope=message)["set-cookie"]
                await send(message)

            await self.app(scope, receive, send_without_cookies)
            return
        await self.app(scope, receive, send)
