"""The one exception tree of qlik-jwt.

::

    QlikJwtError                  every error this package raises on purpose
    ├── ConfigurationError        a value given by the caller is wrong (field, value, fix)
    │   ├── SettingsError         one or more settings are wrong (``problems``)
    │   ├── ClaimsError           a user's claims cannot be put in a token
    │   └── PrivateKeyError       a key cannot be generated, loaded or written
    ├── TokenError                a token is malformed or Qlik would refuse it
    │   ├── MalformedTokenError   not a compact JWS with JSON header and claims
    │   └── ContractError         decodes, but breaks Qlik's rules (``violations``)
    └── TenantError               the tenant (real or emulated) refused or failed
        ├── TenantHTTPError       an HTTP error answer (``status``, ``code``, ``detail``)
        │   └── OAuthGrantError   ``/oauth/token`` or ``/oauth/revoke`` refused (``reason``)
        └── TenantUnreachableError  no answer at all

Messages name what was wrong, the value seen and the fix. They never contain key material,
whole tokens or cookies: callers pass values through :func:`describe` first.

Programming mistakes (wrong types passed by code) raise Python's own ``TypeError`` or
``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qlik_jwt.contract import Violation

__all__ = [
    "ClaimsError",
    "ConfigurationError",
    "ContractError",
    "MalformedTokenError",
    "OAuthGrantError",
    "PrivateKeyError",
    "QlikJwtError",
    "SettingsError",
    "TenantError",
    "TenantHTTPError",
    "TenantUnreachableError",
    "TokenError",
    "describe",
]

_MAX_SHOWN = 200


def describe(value: object) -> str:
    """Show ``value`` in an error message: quoted, shortened, and hidden if it looks secret.

    Any value works, whatever its size: a list of ten thousand items or an integer of
    thousands of digits is shown cut to about 200 characters.
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        if "PRIVATE KEY" in value:
            return "<private key, not shown>"
        if value.count(".") == 2 and value.startswith("eyJ") and len(value) > 40:
            return "<a token, not shown>"
        if len(value) > _MAX_SHOWN:
            return repr(value[: _MAX_SHOWN - 3] + "...")
        return repr(value)
    if isinstance(value, int) and value.bit_length() > 3 * _MAX_SHOWN:
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    shown = repr(value)
    return shown if len(shown) <= _MAX_SHOWN else shown[: _MAX_SHOWN - 3] + "..."


class QlikJwtError(Exception):
    """Base of every error qlik-jwt raises on purpose."""


class ConfigurationError(QlikJwtError):
    """A value given by the caller is wrong. ``field``, ``value`` and ``fix`` say which and how."""

    def __init__(self, field: str, problem: str, value: Any = None, fix: str = "") -> None:
        self.field = field
        self.problem = problem
        self.value = value
        self.fix = fix
        seen = "" if value is None else f" (got {describe(value)})"
        super().__init__(f"{field}: {problem}{seen}." + (f" {fix}" if fix else ""))


class ClaimsError(ConfigurationError):
    """A user's claims cannot be put in a Qlik token."""


class PrivateKeyError(ConfigurationError):
    """A key cannot be generated, loaded or written."""


class SettingsError(ConfigurationError):
    """One or more settings are wrong; ``problems`` holds one error per field."""

    def __init__(self, problems: Sequence[ConfigurationError]) -> None:
        if not problems:
            raise ValueError("SettingsError needs at least one problem")
        self.problems = list(problems)
        first = self.problems[0]
        super().__init__(first.field, first.problem, first.value, first.fix)
        if len(self.problems) > 1:
            self.args = ("\n".join(str(p) for p in self.problems),)


class TokenError(QlikJwtError):
    """A token is malformed or would be refused by Qlik."""


class MalformedTokenError(TokenError):
    """The text is not a compact JWS whose header and claims are JSON objects."""


class ContractError(TokenError):
    """The token decodes but breaks Qlik's rules; ``violations`` lists every one."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        if not violations:
            raise ValueError("ContractError needs at least one violation")
        self.violations = list(violations)
        lines = [f"[{v.code}] {v.message} {v.fix}" for v in self.violations]
        super().__init__("Qlik would refuse this token:\n" + "\n".join(lines))


class TenantError(QlikJwtError):
    """The tenant refused a request or could not be reached."""


class TenantHTTPError(TenantError):
    """The tenant answered with an HTTP error, in Qlik's error body shape when it had one."""

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        fix: str = "",
    ) -> None:
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.fix = fix
        said = " ".join(part for part in (code, title, detail) if part).rstrip(".")
        message = f"{method} {url} answered {status}" + (f": {said}" if said else "")
        super().__init__(message + "." + (f" {fix}" if fix else ""))


class OAuthGrantError(TenantHTTPError):
    """The tenant refused an OAuth grant, exchange or revocation.

    ``reason`` is the OAuth error name when the answer gave one (``invalid_client``,
    ``user_disabled``, ``too_many_tokens``...), else None. ``subject`` is the user the grant
    was for. A user created in the tenant for a grant that then failed is deleted again;
    ``user_left`` holds its id when that deletion failed too (delete it by hand).
    """

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        fix: str = "",
        *,
        reason: str | None = None,
        subject: str | None = None,
        user_left: str | None = None,
    ) -> None:
        self.reason = reason
        self.subject = subject
        self.user_left = user_left
        if user_left:
            fix = (
                f"{fix} The user {user_left!r} created for this grant could not be deleted "
                "again: delete it in the tenant."
            ).strip()
        super().__init__(method, url, status, code, title, detail, fix)

    def with_user_left(self, user_left: str | None) -> OAuthGrantError:
        """This error, saying that the user ``user_left`` (if any) remains in the tenant."""
        if user_left is None:
            return self
        return OAuthGrantError(
            self.method,
            self.url,
            self.status,
            self.code,
            self.title,
            self.detail,
            self.fix,
            reason=self.reason,
            subject=self.subject,
            user_left=user_left,
        )


class TenantUnreachableError(TenantError):
    """No HTTP answer: connection refused, DNS failure, TLS failure or timeout."""

    def __init__(self, url: str, reason: str, fix: str = "") -> None:
        self.url = url
        self.reason = reason
        self.fix = fix
        super().__init__(f"{url} could not be reached: {reason}." + (f" {fix}" if fix else ""))
