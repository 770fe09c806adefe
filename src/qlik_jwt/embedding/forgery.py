"""Cross-site request forgery checks, on header values only (no framework).

Two independent defences guard every token request:

1. **Same origin.** A browser names the page that sent a request in ``Origin`` (and, in
   current browsers, ``Sec-Fetch-Site``). Either one saying another site → 403. A request
   with neither comes from a non-browser client, which a forged cross-site request cannot be.
2. **A custom header carrying a CSRF token.** A cross-site form cannot set headers, and a
   cross-site ``fetch`` with one needs a CORS preflight that the app never grants. Which
   token is expected is the host's business: the web app's session token, the host
   framework's own (Flask, Django), or none beyond the header being present.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from qlik_jwt.embedding.refusals import WebError

__all__ = [
    "CSRF_HEADER",
    "HEADER_ONLY_TOKEN",
    "check_csrf_header",
    "check_same_origin",
    "matches",
]

CSRF_HEADER = "X-CSRF-Token"
# What a page sends in the CSRF header when there is no host token to compare with: then the
# header's presence is the defence, and its value only has to be non-empty.
HEADER_ONLY_TOKEN = "header-only"


def check_same_origin(expected: str, origin: str | None, fetch_site: str | None) -> None:
    """Raise WebError 403 when ``Origin`` differs from ``expected`` (the app's own origin,
    ``scheme://host[:port]``) or ``Sec-Fetch-Site`` says the request is cross-site."""
    if origin is not None and origin != expected:
        raise WebError(
            403,
            "cross-origin-request",
            f"This request came from the page origin {origin[:100]!r}, not {expected!r}.",
            "Only this app's own pages may call it. Behind a proxy, set QLIK_PUBLIC_ORIGIN "
            "to the origin browsers use.",
        )
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise WebError(
            403,
            "cross-origin-request",
            f"The browser reports this request as {fetch_site[:30]!r}, not same-origin.",
            "Only this app's own pages may call it.",
        )


def matches(expected: str | None) -> Callable[[str], bool]:
    """A validator accepting exactly ``expected`` (compared in constant time); nothing when
    ``expected`` is None or empty."""

    def valid(given: str) -> bool:
        return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())

    return valid


def check_csrf_header(
    given: str | None, valid: Callable[[str], bool] | None, header: str = CSRF_HEADER
) -> None:
    """Raise WebError 403 unless ``given`` (the value of ``header``) is present and, when a
    ``valid`` check is given (the host's CSRF protection), passes it."""
    if not given:
        raise WebError(
            403,
            "csrf-token-missing",
            f"The {header} header is missing.",
            f"Send the page's CSRF token in the {header} header (the bundled page does).",
        )
    if valid is not None and not valid(given):
        raise WebError(
            403,
            "csrf-token-mismatch",
            f"The {header} header does not match this sign-in session.",
            "Reload the page to get the current token.",
        )
