"""What crosses the proxy: the headers passed each way, the paths allowed, and redirects.

Towards the tenant only an allow-list of request headers passes, so the host app's own
cookies, ``Authorization``, ``X-CSRF-Token``, ``Origin``, ``Referer`` and forwarding
headers never leave the app; the proxy adds Qlik's cookies and CSRF token itself. Towards
the browser every header passes except Qlik's cookies (``Set-Cookie``), its CSRF token,
CORS headers (the browser talks to one origin), hop-by-hop headers and the tenant's
``Strict-Transport-Security``/``Server``/``Date``; a redirect to the tenant comes back as
a path on this app.

Every answer depends on whose session the proxy added, so none may be kept by a shared
cache or by the browser for its next user: each gets ``Cache-Control: private, no-store``
(:data:`USER_SPECIFIC`), replacing the tenant's, except a static asset (``/resources/*``,
``/assets/*``) for which the tenant sent a ``Cache-Control`` of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, unquote, urlencode

__all__ = [
    "CSRF_HEADER",
    "CSRF_PARAMETER",
    "STATIC_PREFIXES",
    "USER_SPECIFIC",
    "bad_path_reason",
    "request_headers",
    "response_headers",
    "tenant_query",
]

CSRF_HEADER = "qlik-csrf-token"
CSRF_PARAMETER = "qlik-csrf-token"
CREDENTIAL_PARAMETERS = frozenset({CSRF_PARAMETER, "accessToken"})
STATIC_PREFIXES = ("/resources/", "/assets/")
USER_SPECIFIC = "private, no-store"

FORWARDED_REQUEST_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-length",
        "content-type",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "pragma",
        "range",
        "user-agent",
    }
)
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
DROPPED_RESPONSE_HEADERS = HOP_BY_HOP | {
    "set-cookie",
    "set-cookie2",
    CSRF_HEADER,
    "strict-transport-security",
    "server",
    "date",
    "alt-svc",
}
_FORWARDED = frozenset(name.encode("ascii") for name in FORWARDED_REQUEST_HEADERS)
_DROPPED = frozenset(name.encode("ascii") for name in DROPPED_RESPONSE_HEADERS)
_CACHING = frozenset({b"cache-control", b"expires", b"pragma"})
_USER_SPECIFIC = USER_SPECIFIC.encode("ascii")


def request_headers(given: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The browser's headers (raw, as in an ASGI scope) that may go to the tenant
    (allow-list; names lower-case, in order, duplicates kept).

    Without an ``Accept-Encoding`` of the browser's, ``identity`` is asked for: bodies are
    streamed through unchanged, so they must be in an encoding the browser asked for.
    """
    kept = [(name.lower(), value) for name, value in given if name.lower() in _FORWARDED]
    if not any(name == b"accept-encoding" for name, _ in kept):
        kept.append((b"accept-encoding", b"identity"))
    return kept


def response_headers(
    given: Iterable[tuple[bytes, bytes]], *, tenant_url: str, path: str
) -> list[tuple[bytes, bytes]]:
    """The tenant's answer headers (raw) that may reach the browser, in order, duplicates
    kept, names lower-case (as ASGI sends them), with the ``Cache-Control`` the answer to
    ``path`` gets (see the module)."""
    pairs = [(name.lower(), value) for name, value in given]
    tenant_caching = path.startswith(STATIC_PREFIXES) and any(
        name == b"cache-control" for name, _ in pairs
    )
    named_hops = {
        token.strip().lower()
        for name, value in pairs
        if name == b"connection"
        for token in value.split(b",")
    }
    tenant_prefix = tenant_url.encode("latin-1") + b"/"
    kept = []
    for name, value in pairs:
        if name in _DROPPED or name in named_hops or name.startswith(b"access-control-"):
            continue
        if name in _CACHING and not tenant_caching:
            continue
        if name == b"location" and value.startswith(tenant_prefix):
            value = value[len(tenant_prefix) - 1 :]
        kept.append((name, value))
    if not tenant_caching:
        kept.append((b"cache-control", _USER_SPECIFIC))
    return kept


def bad_path_reason(path: str) -> str | None:
    """Why a browser's path must not be forwarded (dot segments, backslashes), or None.

    ``path`` is the decoded path; encoded dots (``%2e%2e``) are decoded once more so that
    no spelling of ``..`` can climb out of the forwarded prefixes at the tenant.
    """
    decoded = unquote(path)
    if "\\" in decoded or "\x00" in decoded:
        return "contains a backslash or NUL"
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return "contains a '.' or '..' segment"
    return None


def tenant_query(raw_query: bytes, added: Mapping[str, str] | None = None) -> str:
    """The browser's query string for the tenant: its own ``qlik-csrf-token`` and
    ``accessToken`` dropped (the proxy sends the real credential), then ``added`` (the
    credential's own parameters); everything else unchanged."""
    query = raw_query.decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True)
    if not added and not any(name in CREDENTIAL_PARAMETERS for name, _ in pairs):
        return query
    kept = [(name, value) for name, value in pairs if name not in CREDENTIAL_PARAMETERS]
    return urlencode(kept + list((added or {}).items()))
