"""Mint RS256 tokens that Qlik Cloud's ``/login/jwt-session`` accepts.

The private key is parsed once, in the constructor: loading a PEM costs more than a hundred
signatures. ``mint`` is safe to call from many threads.
"""

from __future__ import annotations

import math
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from qlik_jwt import contract
from qlik_jwt.errors import ClaimsError, ConfigurationError, ContractError
from qlik_jwt.keys import key_id_for, load_private_key

if TYPE_CHECKING:
    from qlik_jwt.settings import Settings

__all__ = ["DEFAULT_LIFETIME", "MAX_BACKDATE", "MintedToken", "TokenSigner", "UserClaims"]

DEFAULT_LIFETIME = 60
MAX_BACKDATE = 300
_SPACE = re.compile(r"\s")  # str.isspace's characters (both are Py_UNICODE_ISSPACE)


def _text(field_name: str, value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ClaimsError(field_name, f"must be a string ({what})", value)
    if not value.strip():
        raise ClaimsError(field_name, f"must not be empty ({what})", value, f"Give the {what}.")
    if value != value.strip():
        raise ClaimsError(
            field_name,
            "has leading or trailing whitespace",
            value,
            "Strip it: Qlik matches these values exactly.",
        )
    return value


@dataclass(frozen=True)
class UserClaims:
    """Who a token is for. Validated on construction; raises ClaimsError naming the field.

    ``sub`` must be stable for the person (Qlik finds users by subject; a new ``sub`` creates a
    new user). ``email_verified`` has no default: say ``True`` only for addresses you have
    verified, or Qlik will show an e-mail nobody confirmed.
    """

    sub: str
    name: str
    email: str
    email_verified: bool
    groups: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _text("sub", self.sub, "the user's stable subject, e.g. 'app|12345'")
        _text("name", self.name, "the user's display name")
        email = _text("email", self.email, "the user's e-mail address")
        local, at, domain = email.partition("@")
        if not at or not local or not domain or "@" in domain or _SPACE.search(email):
            raise ClaimsError("email", "is not an e-mail address", email, "Use name@domain.")
        if not isinstance(self.email_verified, bool):
            raise ClaimsError(
                "email_verified",
                "must be True or False",
                self.email_verified,
                "Say True only when your app has verified the address.",
            )
        groups: Any = self.groups
        if isinstance(groups, str | bytes) or not isinstance(groups, Iterable):
            raise ClaimsError(
                "groups",
                "must be a list of group names",
                groups,
                'Pass e.g. ["Finance"], not a single string.',
            )
        groups = tuple(groups)
        for name in groups:
            if not isinstance(name, str) or not name.strip():
                raise ClaimsError(
                    "groups", "must hold only non-empty strings", name, "Remove that entry."
                )
        object.__setattr__(self, "groups", groups)


@dataclass(frozen=True)
class MintedToken:
    """A token and the facts about it that are safe to log (never log ``token`` itself)."""

    token: str = field(repr=False)
    jti: str
    sub: str
    groups: tuple[str, ...]
    issued_at: int
    expires_at: int


class TokenSigner:
    """Signs Qlik JWTs for users with one RSA key.

    ``private_key`` is a loaded key, a PEM path or PEM text. ``key_id`` (None or left out:
    ``TokenSigner(key, issuer="…")``) defaults to the key's RFC 7638 thumbprint; ``issuer``
    is required. ``lifetime`` (seconds after now) and ``backdate`` (seconds
    before now, for tenant clocks that run behind) together span ``exp - nbf``, at most
    3600. ``clock`` returns the current UNIX time; tests pass their own.

    Raises ConfigurationError (or PrivateKeyError) for unusable arguments.
    """

    @overload
    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | str | bytes | Path,
        key_id: str | None,
        issuer: str,
        *,
        lifetime: int = ...,
        backdate: int = ...,
        algorithm: str = ...,
        clock: Callable[[], float] = ...,
    ) -> None: ...

    @overload
    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | str | bytes | Path,
        *,
        issuer: str,
        key_id: str | None = ...,
        lifetime: int = ...,
        backdate: int = ...,
        algorithm: str = ...,
        clock: Callable[[], float] = ...,
    ) -> None: ...

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | str | bytes | Path,
        key_id: str | None = None,
        issuer: str | None = None,
        *,
        lifetime: int = DEFAULT_LIFETIME,
        backdate: int = 0,
        algorithm: str = "RS256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if issuer is None:
            raise TypeError("TokenSigner() needs issuer, the identity provider's `iss`")
        if not isinstance(private_key, rsa.RSAPrivateKey):
            private_key = load_private_key(private_key)
        self._key = private_key
        self.key_id = key_id_for(private_key.public_key()) if key_id is None else key_id
        _check_setting("key_id", self.key_id)
        self.issuer = issuer
        _check_setting("issuer", issuer)
        if algorithm not in contract.DEFAULT_ALGORITHMS | contract.OPTIONAL_ALGORITHMS:
            raise ConfigurationError(
                "algorithm", "must be RS256, RS384 or RS512", algorithm, "Use RS256."
            )
        self.algorithm = algorithm
        if (
            isinstance(lifetime, bool)
            or not isinstance(lifetime, int)
            or not (1 <= lifetime <= contract.MAX_WINDOW_SECONDS)
        ):
            raise ConfigurationError(
                "lifetime",
                "must be a whole number of seconds from 1 to 3600",
                lifetime,
                "Qlik refuses tokens valid for more than an hour; 60 is plenty for a login.",
            )
        if (
            isinstance(backdate, bool)
            or not isinstance(backdate, int)
            or not (0 <= backdate <= MAX_BACKDATE)
        ):
            raise ConfigurationError(
                "backdate",
                f"must be a whole number of seconds from 0 to {MAX_BACKDATE}",
                backdate,
                "A few seconds covers ordinary clock skew.",
            )
        if lifetime + backdate > contract.MAX_WINDOW_SECONDS:
            raise ConfigurationError(
                "lifetime",
                f"plus backdate ({backdate}) must not exceed 3600 seconds",
                lifetime,
                "Shorten the lifetime: exp - nbf may be at most one hour.",
            )
        self.lifetime = lifetime
        self.backdate = backdate
        self._clock = clock
        self._header = {"typ": "JWT", "alg": algorithm, "kid": self.key_id}

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        key: rsa.RSAPrivateKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> TokenSigner:
        """The signer the settings describe: their key (or ``key`` when the caller loaded it
        already), key id, issuer, lifetime and backdate; ``clock`` as for the constructor.

        Raises SettingsError when the private key or the issuer is unset, PrivateKeyError
        when the key does not load.
        """
        settings.require("private_key", "issuer")
        assert settings.issuer is not None
        return cls(
            key or load_private_key(settings.private_key_source()),
            settings.key_id,
            settings.issuer,
            lifetime=settings.token_lifetime,
            backdate=settings.token_backdate,
            clock=clock,
        )

    def claims_for(self, user: UserClaims, now: float | None = None) -> dict[str, Any]:
        """The claims :meth:`mint` would sign for ``user`` at ``now`` (a fresh ``jti``)."""
        if not isinstance(user, UserClaims):
            raise TypeError(f"user must be UserClaims, got {type(user).__name__}")
        issued = math.floor(self._clock() if now is None else now) - self.backdate
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": contract.AUDIENCE,
            "sub": user.sub,
            "subType": "user",
            "name": user.name,
            "email": user.email,
            "email_verified": user.email_verified,
            "jti": secrets.token_hex(16),
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.backdate + self.lifetime,
        }
        if user.groups:
            claims["groups"] = list(user.groups)
        return claims

    def mint_token(self, user: UserClaims) -> MintedToken:
        """Sign a token for ``user`` and return it with its loggable facts.

        Every token is checked against :func:`qlik_jwt.contract.check` first; a violation
        (which would mean a bug here) raises ContractError rather than returning a token
        Qlik would refuse.
        """
        now = self._clock()
        claims = self.claims_for(user, now)
        violations = contract.check(
            self._header,
            claims,
            now=now,
            issuer=self.issuer,
            key_id=self.key_id,
            algorithms=(self.algorithm,),
        )
        if violations:
            raise ContractError(violations)
        token = jwt.encode(claims, self._key, algorithm=self.algorithm, headers=self._header)
        return MintedToken(
            token, claims["jti"], user.sub, user.groups, claims["iat"], claims["exp"]
        )

    def mint(self, user: UserClaims) -> str:
        """Sign and return a compact JWS for ``user``. See :meth:`mint_token`."""
        return self.mint_token(user).token

    def __repr__(self) -> str:
        return (
            f"TokenSigner(key_id={self.key_id!r}, issuer={self.issuer!r}, "
            f"lifetime={self.lifetime}, backdate={self.backdate})"
        )


def _check_setting(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(
            name,
            "must be a non-empty string",
            value,
            f"Give the {name} registered in the JWT identity provider.",
        )
    if value != value.strip():
        raise ConfigurationError(
            name, "has leading or trailing whitespace", value, "Strip it: Qlik compares it exactly."
        )
