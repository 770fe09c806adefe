"""Proxy mode: the web app logs in to Qlik for the browser and forwards its Qlik calls.

The browser then talks only to the web app's own origin, so embedding works where
third-party cookies are blocked. :class:`QlikProxy` holds the tenant client, the session
store and the browser cookie; :func:`rest_routes` and :func:`engine_routes` forward Qlik's
HTTP paths and the engine websocket. See the README's "Direct or proxy mode".
"""

from __future__ import annotations

from qlik_jwt.web.proxy.context import ProxyCall, QlikProxy
from qlik_jwt.web.proxy.engine_socket import engine_routes
from qlik_jwt.web.proxy.rest import IFRAME_PREFIXES, rest_routes
from qlik_jwt.web.proxy.store import (
    ProxySession,
    ProxySessionStore,
    SessionStoreError,
    open_session_store,
)

__all__ = [
    "IFRAME_PREFIXES",
    "ProxyCall",
    "ProxySession",
    "ProxySessionStore",
    "QlikProxy",
    "SessionStoreError",
    "engine_routes",
    "open_session_store",
    "rest_routes",
]
