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


def request_headers(given: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The browser's headers that may go to the tenant (allow-list; names lower-case).

    Without an ``Accept-Encoding`` of the browser's, ``identity`` is asked for: bodies are
    streamed through unchanged, so they must be in an encoding the browser asked for.
    """
    kept = {
        name.lower(): value for name, value in given if name.lower() in FORWARDED_REQUEST_HEADERS
    }
    kept.setdefault("accept-encoding", "identity")
    return kept


def response_headers(
    given: Iterable[tuple[str, str]], *, tenant_url: str, path: str
) -> list[tuple[str, str]]:
    """The tenant's answer headers that may reach the browser, in order, duplicates kept,
    with the ``Cache-Control`` the answer to ``path`` gets (see the module)."""
    pairs = list(given)
    static = path.startswith(STATIC_PREFIXES)
    tenant_caching = static and any(name.lower() == "cache-control" for name, _ in pairs)
    named_hops = {
        token.strip().lower()
        for name, value in pairs
        if name.lower() == "connection"
        for token in value.split(",")
    }
    kept = []
    for name, value in pairs:
        lower = name.lower()
        if lower in DROPPED_RESPONSE_HEADERS or lower in named_hops:
            continue
        if lower.startswith("access-control-"):
            continue
        if lower in ("cache-control", "expires", "pragma") and not tenant_caching:
            continue
        if lower == "location" and value.startswith(tenant_url + "/"):
            value = value.removeprefix(tenant_url)
        kept.append((name, value))
    if not tenant_caching:
        kept.append(("Cache-Control", USER_SPECIFIC))
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
