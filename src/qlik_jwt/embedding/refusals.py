"""HTTP refusals shared by the web app and the framework integrations.

A :class:`WebError` is raised by the framework-free rules (origin, body, CSRF header, sign-in,
rate limit) and turned into a response by whichever framework serves the route. Body shape:
``{"error": {"code", "message", "fix"}}``; codes are stable and documented in the README;
messages never contain tokens, cookies, CSRF tokens or key material.
"""

from __future__ import annotations

__all__ = ["WebError"]


class WebError(Exception):
    """An HTTP refusal: ``status``, a stable ``code``, what was wrong and how to fix it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fix: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fix = fix
        self.headers = headers or {}

    def as_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "fix": self.fix}}

    def response_headers(self) -> dict[str, str]:
        """The refusal's own headers, plus ``Cache-Control: no-store``: never cached."""
        return {"Cache-Control": "no-store", **self.headers}
