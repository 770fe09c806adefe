"""``POST /login/jwt-session``'s checks, in the reference's order (§5), and the login itself.

Steps 1 (rate limit) and 2 (Origin / web integration) run in middleware before this; then:

3. bearer: a compact JWS that decodes (:func:`qlik_jwt.jws.decode`)
4. header: ``alg`` allowed, no ``crit`` or ``enc``, ``kid`` present
5. identity provider: an active JWT provider with ``issuer == iss`` and ``kid``
6. signature, with the provider's certificate or public key
7. required claims present
8. claim values: audience, ``subType``, types, ``groups``
9. time: ``nbf``, ``exp`` (with ``clockToleranceSec``), the 3600 s window, optionally ``iat``
10. replay of ``(iss, jti)``
11. the user (created just in time, groups set), the ``jti`` recorded, a session started,
    all in one transaction

Every refusal is a :class:`QlikError`; all faults of the first failing step are reported,
one error entry each. Key, provider and signature faults are 401s; claim and time faults
use Qlik's ``INTERNAL-TOKEN-1`` shape (400), statuses configurable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qlik_jwt import contract, jws
from qlik_jwt.contract import RULES, Step, Violation
from qlik_jwt.emulator.errors import Problem, QlikError
from qlik_jwt.emulator.state.identity_providers import IdentityProvider
from qlik_jwt.emulator.state.sessions import Session
from qlik_jwt.emulator.state.users import LoginProfile, User
from qlik_jwt.emulator.tenant import EmulatedTenant
from qlik_jwt.errors import MalformedTokenError, describe

__all__ = ["REASONS", "LoginResult", "exchange"]

log = logging.getLogger("qlik_jwt.emulator")

PREFIX = "JWT_LOGIN_VALIDATIONS"
CLAIM_CODE = "INTERNAL-TOKEN-1"
CLAIM_TITLE = "Invalid token request"
KEY_CODE = "INVALID-TOKEN"
KEY_TITLE = "Invalid token"
PROFILE_CLAIMS = frozenset({"subType", "name", "email", "email_verified"})

# contract violation code -> meta.reason, from the rules themselves
REASONS: dict[str, str] = {code: rule.reason for code, rule in RULES.items()}
CLAIM_STEPS = (Step.PRESENCE, Step.VALUES, Step.TIME)  # refused in INTERNAL-TOKEN-1's shape


@dataclass(frozen=True)
class LoginResult:
    user: User
    session: Session
    jti: str


class _Refusal:
    """Builds the error entries of one refusal, honouring ``strict``."""

    def __init__(self, tenant: EmulatedTenant) -> None:
        self.options = tenant.options

    def detail(self, message: str, code: str) -> str:
        text = f"{PREFIX} {message.rstrip('.')}"
        return text if self.options.strict else f"{text} [{code}]"

    def key(
        self, code: str, message: str, reason: str | None = None, status: int | None = None
    ) -> QlikError:
        return QlikError(
            status or self.options.key_fault_status,
            KEY_CODE,
            KEY_TITLE,
            self.detail(message, code),
            reason=reason or RULES[code].reason,
        )

    def claims(self, violations: Sequence[Violation]) -> QlikError:
        timed = all(RULES[v.code].step is Step.TIME for v in violations)
        status = self.options.time_fault_status if timed else self.options.claim_fault_status
        problems = [
            Problem(
                CLAIM_CODE,
                CLAIM_TITLE,
                self.detail(
                    f"Missing required claim: {v.field}"
                    if v.code == "missing-claim"
                    else v.message,
                    v.code,
                ),
                RULES[v.code].reason,
            )
            for v in violations
        ]
        return QlikError(status, problems=problems)


def _at_step(violations: Sequence[Violation], step: Step) -> list[Violation]:
    return [v for v in violations if RULES[v.code].step is step]


def _text(claims: dict[str, Any], name: str, default: str) -> str:
    value = claims.get(name)
    return value if isinstance(value, str) else default


def _profile(claims: dict[str, Any]) -> LoginProfile:
    """The user a checked token describes (optional profile claims defaulted)."""
    sub = str(claims["sub"])
    groups = claims.get("groups") or []
    return LoginProfile(
        sub,
        _text(claims, "name", sub),
        _text(claims, "email", ""),
        claims.get("email_verified") is True,
        [g for g in groups if isinstance(g, str)],
    )


def exchange(
    tenant: EmulatedTenant, authorization: str | None, *, current: Session | None = None
) -> LoginResult:
    """Run steps 3-11 for the request's ``Authorization`` header; raise QlikError on refusal.

    ``current`` is the session the request already carries (kept when the
    ``reuse_session_on_relogin`` option is on and it belongs to the same user).
    """
    login = _Login(tenant)
    token = login.bearer(authorization)
    login.header(token.header)
    idp = login.identity_provider(token)
    login.signature(token, idp)
    login.claims(token.claims, idp)
    jti, jti_expires = login.replay(token.claims, idp)
    return login.sign_in(token.claims, idp, jti, jti_expires, current)


class _Login:
    """One attempt at ``/login/jwt-session``: a method per step, each raising QlikError."""

    def __init__(self, tenant: EmulatedTenant) -> None:
        self.tenant = tenant
        self.options = tenant.options
        self.refuse = _Refusal(tenant)
        self.now = tenant.now()

    def bearer(self, authorization: str | None) -> jws.DecodedToken:
        """3. A compact JWS in ``Authorization: Bearer``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise self.refuse.key(
                "malformed-token",
                "The request has no 'Authorization: Bearer <JWT>' header",
                "missing_bearer",
            )
        try:
            return jws.decode(token, max_length=self.options.max_token_length)
        except MalformedTokenError as exc:
            raise self.refuse.key("malformed-token", str(exc)) from None

    def header(self, header: dict[str, Any]) -> None:
        """4. ``alg``, ``crit``/``enc`` and ``kid``; the first fault is reported."""
        found = contract.check_header(header, algorithms=self.options.algorithms())
        faults = _at_step(found, Step.HEADER)
        if faults:
            raise self.refuse.key(faults[0].code, faults[0].message)

    def identity_provider(self, token: jws.DecodedToken) -> IdentityProvider:
        """5. The active JWT provider with the token's ``iss`` and ``kid``."""
        claims = token.claims
        if "iss" not in claims:
            raise self.refuse.claims([Violation("missing-claim", "", "", "iss")])
        iss = claims["iss"]
        if not isinstance(iss, str):
            raise self.refuse.key("issuer-mismatch", f"iss must be a string, got {iss!r}")
        kid = str(token.header["kid"])
        idp, why = self.tenant.identity_providers.for_login(iss, kid)
        if idp is not None:
            return idp
        if why == "unknown_issuer":
            message = f"No active JWT identity provider has issuer {iss!r}"
            raise self.refuse.key("issuer-mismatch", message)
        message = f"The identity provider for issuer {iss!r} has no key id {kid!r}"
        raise self.refuse.key("kid-mismatch", message)

    def signature(self, token: jws.DecodedToken, idp: IdentityProvider) -> None:
        """6. The signature, with the provider's certificate or public key."""
        if not jws.verify_signature(token, self.tenant.identity_providers.public_key(idp)):
            raise self.refuse.key(
                "bad-signature",
                f"The signature does not verify with the certificate of identity provider {idp.id}",
            )

    def claims(self, claims: dict[str, Any], idp: IdentityProvider) -> None:
        """7-9. Presence, values, time: all faults of the first failing step are reported."""
        options = self.options
        violations = contract.check_claims(
            claims,
            now=self.now,
            issuer=idp.issuer,
            clock_tolerance=idp.clock_tolerance,
            audience_list=options.audience_list,
            reject_future_iat=options.reject_future_iat,
        )
        if not options.strict_profile_claims:
            violations = [
                v
                for v in violations
                if not (v.code == "missing-claim" and v.field in PROFILE_CLAIMS)
            ]
        violations += self._too_many_groups(claims)
        for step in CLAIM_STEPS:
            faults = _at_step(violations, step)
            if faults:
                raise self.refuse.claims(faults)

    def _too_many_groups(self, claims: dict[str, Any]) -> list[Violation]:
        limit, groups = self.options.max_groups, claims.get("groups")
        if limit is None or not isinstance(groups, list) or len(groups) <= limit:
            return []
        message = f"groups holds {len(groups)} names, over the limit of {limit}"
        return [Violation("bad-groups", message, "Send fewer groups.", "groups")]

    def replay(self, claims: dict[str, Any], idp: IdentityProvider) -> tuple[str, float]:
        """10. The ``(iss, jti)`` pair unused; returns the ``jti`` and until when to keep it."""
        jti = str(claims["jti"])  # a numeric jti and its text are the same jti
        if self.tenant.sessions.jti_used(idp.issuer, jti, now=self.now):
            raise self._replayed(idp.issuer, jti)
        if self.options.jti_retention_seconds is None:
            return jti, float(claims["exp"]) + idp.clock_tolerance
        return jti, self.now + self.options.jti_retention_seconds

    def _replayed(self, iss: str, jti: str) -> QlikError:
        return self.refuse.key(
            "jti-replayed",
            f"jti {jti!r} of issuer {iss!r} was already used for a login; mint a new token",
            status=self.options.replay_status,
        )

    def sign_in(
        self,
        claims: dict[str, Any],
        idp: IdentityProvider,
        jti: str,
        jti_expires: float,
        current: Session | None,
    ) -> LoginResult:
        """11. The user (created just in time, groups set), the ``jti`` recorded and a
        session started, in one transaction (the ``jti`` burnt first with
        ``burn_jti_on_failure``)."""
        tenant, options, now, iss = self.tenant, self.options, self.now, idp.issuer
        profile = _profile(claims)
        if options.burn_jti_on_failure:
            with tenant.db.transaction() as conn:
                if not tenant.sessions.consume_jti(conn, iss, jti, expires=jti_expires, now=now):
                    raise self._replayed(iss, jti)
        keep = current if options.reuse_session_on_relogin else None
        with tenant.db.transaction() as conn:
            if not options.burn_jti_on_failure and not tenant.sessions.consume_jti(
                conn, iss, jti, expires=jti_expires, now=now
            ):
                raise self._replayed(iss, jti)
            user, session = tenant.sign_in(profile, now=now, keep=keep)
        log.info("jwt-session accepted: sub=%s jti=%s", describe(profile.subject), describe(jti))
        return LoginResult(user, session, jti)
