"""Security headers on every response of the web app (pure ASGI middleware).

The Content-Security-Policy lets our page load only its own scripts and styles (plus the
inline styles Qlik's charts insert), talk to
itself and to the tenant (HTTPS and its websocket), frame only the tenant, and be framed
only by itself. In proxy mode the tenant is reached through the app itself, so ``'self'``
is all the page may connect to or frame; in direct mode with login mode ``impersonation``
the page talks to the tenant but frames ``/single/`` through the app (``'self'``). Answers
that carry their own policy (a proxied ``/single/`` page) keep it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware", "content_security_policy"]


def content_security_policy(
    tenant_url: str | None, *, proxy: bool = False, frame_through_app: bool = False
) -> str:
    """Our page's CSP, allowing ``tenant_url`` for connect-src and frame-src; in proxy mode
    the page reaches Qlik (HTTP, websocket and frame) only through this app: ``'self'``;
    with ``frame_through_app`` only the frame does."""
    connect = ["'self'"]
    frame = ["'none'"]
    if proxy:
        frame = ["'self'"]
    elif tenant_url:
        parts = urlsplit(tenant_url)
        socket_scheme = "wss" if parts.scheme == "https" else "ws"
        connect += [tenant_url, f"{socket_scheme}://{parts.netloc}"]
        frame = ["'self'"] if frame_through_app else [tenant_url]
    directives = {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        # Qlik's charts (stardust's MUI/emotion, sn-table's styled-components) insert <style>
        # elements at run time; scripts stay 'self' only.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": connect,
        "frame-src": frame,
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer policy and framing rules unless a route set its own."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tenant_url: str | None,
        proxy: bool = False,
        frame_through_app: bool = False,
    ) -> None:
        self.app = app
        policy = content_security_policy(
            tenant_url, proxy=proxy, frame_through_app=frame_through_app
        )
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
