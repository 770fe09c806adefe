"""Origins as Qlik compares them: exact in web integrations, host patterns in CSP entries.

A web integration's ``validOrigins`` holds exact origins (scheme, host and a non-default
port; no wildcards, no path). A CSP entry holds ``domain.com``, ``domain.com:8080`` or
``*.domain.com``, usually without a scheme (reference §2.2, §4.3).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from qlik_jwt.errors import ConfigurationError

__all__ = ["csp_covers", "csp_source", "normalize_origin", "same_origin"]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str, *, field: str = "app_origins") -> str:
    """``HTTPS://App.Example.com:443/`` → ``https://app.example.com``.

    Raises ConfigurationError naming ``field`` for a path, query, wildcard, credentials,
    another scheme or a missing host.
    """
    text = value.strip() if isinstance(value, str) else value
    fix = "Give the page's origin only: scheme://host[:port], e.g. https://app.example.com."
    if not isinstance(text, str) or "://" not in text:
        raise ConfigurationError(field, "is not an origin (no scheme)", value, fix)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ConfigurationError(field, f"has scheme {scheme!r}; use http or https", value, fix)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(field, "has a path, query or fragment", value, fix)
    if parts.username or parts.password:
        raise ConfigurationError(field, "contains credentials", value, fix)
    host = (parts.hostname or "").lower()
    if not host:
        raise ConfigurationError(field, "has no host", value, fix)
    if "*" in host:
        raise ConfigurationError(
            field, "has a wildcard; web integrations accept exact origins only", value, fix
        )
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(field, "has an invalid port", value, fix) from None
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


def same_origin(a: str, b: str) -> bool:
    """Whether two origins are equal once normalised (False if either is not an origin)."""
    try:
        return normalize_origin(a) == normalize_origin(b)
    except ConfigurationError:
        return False


def csp_source(origin: str) -> str:
    """The CSP entry for an origin: ``host[:port]`` without the scheme, as Qlik documents."""
    normalized = normalize_origin(origin)
    return normalized.split("://", 1)[1]


def _split_csp(value: str) -> tuple[str | None, str, int | None]:
    text = value.strip().lower().rstrip("/")
    scheme = None
    if "://" in text:
        scheme, text = text.split("://", 1)
    host, _, port_text = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    usable = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
    port = int(port_text) if usable else None
    return scheme, host or text, port


def csp_covers(entry_origin: str, origin: str) -> bool:
    """Whether a CSP entry's ``origin`` (maybe with a scheme or ``*.``) covers ``origin``.

    A scheme-less entry covers both schemes; an entry without a port covers only the
    scheme's default port; ``*.domain.com`` covers every subdomain but not ``domain.com``.
    """
    try:
        normalized = normalize_origin(origin)
    except ConfigurationError:
        return False
    scheme, rest = normalized.split("://", 1)
    _, host, port = _split_csp(rest)
    port = port or _DEFAULT_PORTS[scheme]
    entry_scheme, entry_host, entry_port = _split_csp(entry_origin)
    if entry_scheme is not None and entry_scheme != scheme:
        return False
    if (entry_port or _DEFAULT_PORTS.get(entry_scheme or scheme)) != port:
        return False
    if entry_host.startswith("*."):
        return host.endswith(entry_host[1:])
    return entry_host == host
