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
from qlik_jwt.contract import Violation
from qlik_jwt.emulator.errors import Problem, QlikError
from qlik_jwt.emulator.state.sessions import Session
from qlik_jwt.emulator.state.users import LoginProfile, User
from qlik_jwt.emulator.tenant import EmulatedTenant
from qlik_jwt.errors import MalformedTokenError

__all__ = ["REASONS", "LoginResult", "exchange"]

log = logging.getLogger("qlik_jwt.emulator")

PREFIX = "JWT_LOGIN_VALIDATIONS"
CLAIM_CODE = "INTERNAL-TOKEN-1"
CLAIM_TITLE = "Invalid token request"
KEY_CODE = "INVALID-TOKEN"
KEY_TITLE = "Invalid token"
PROFILE_CLAIMS = frozenset({"subType", "name", "email", "email_verified"})

# contract violation code -> meta.reason
REASONS: dict[str, str] = {
    "malformed-token": "malformed_token",
    "alg-not-allowed": "alg_not_allowed",
    "unsupported-header": "unsupported_header",
    "missing-kid": "kid_missing",
    "kid-mismatch": "unknown_kid",
    "issuer-mismatch": "unknown_issuer",
    "bad-signature": "bad_signature",
    "missing-claim": "missing_claim",
    "bad-claim-type": "bad_claim_type",
    "empty-claim": "bad_claim_type",
    "untrimmed-value": "bad_claim_type",
    "bad-groups": "bad_claim_type",
    "wrong-audience": "aud_mismatch",
    "bad-subtype": "subtype_invalid",
    "not-yet-valid": "not_yet_valid",
    "expired": "expired",
    "window-too-long": "window_too_long",
    "iat-in-future": "iat_in_future",
    "jti-replayed": "jti_replayed",
}
_TIME_CODES = frozenset({"not-yet-valid", "expired", "window-too-long", "iat-in-future"})


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
            reason=reason or REASONS[code],
        )

    def claims(self, violations: Sequence[Violation]) -> QlikError:
        timed = all(v.code in _TIME_CODES for v in violations)
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
                REASONS[v.code],
            )
            for v in violations
        ]
        return QlikError(status, problems=problems)


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
    options = tenant.options
    refuse = _Refusal(tenant)
    now = tenant.now()

    # 3. bearer
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise refuse.key(
            "malformed-token",
            "The request has no 'Authorization: Bearer <JWT>' header",
            "missing_bearer",
        )
    try:
        decoded = jws.decode(token, max_length=options.max_token_length)
    except MalformedTokenError as exc:
        raise refuse.key("malformed-token", str(exc)) from None
    header, claims = decoded.header, decoded.claims

    # 4. header (the claims are checked after the signature)
    algorithms = options.algorithms()
    header_faults = [
        v
        for v in contract.check(header, {}, now=now, algorithms=algorithms)
        if v.code in ("alg-not-allowed", "unsupported-header", "missing-kid")
    ]
    if header_faults:
        first = header_faults[0]
        raise refuse.key(first.code, first.message)

    # 5. identity provider
    iss = claims.get("iss")
    if "iss" not in claims:
        raise refuse.claims([Violation("missing-claim", "", "", "iss")])
    if not isinstance(iss, str):
        raise refuse.key("issuer-mismatch", f"iss must be a string, got {iss!r}", "unknown_issuer")
    kid = str(header["kid"])
    idp, why = tenant.identity_providers.for_login(iss, kid)
    if idp is None:
        if why == "unknown_issuer":
            message = f"No active JWT identity provider has issuer {iss!r}"
        else:
            message = f"The identity provider for issuer {iss!r} has no key id {kid!r}"
        raise refuse.key("issuer-mismatch" if why == "unknown_issuer" else "kid-mismatch", message)

    # 6. signature
    if not jws.verify_signature(decoded, tenant.identity_providers.public_key(idp)):
        raise refuse.key(
            "bad-signature",
            f"The signature does not verify with the certificate of identity provider {idp.id}",
        )

    # 7-9. claims, by step
    violations = contract.check(
        header,
        claims,
        now=now,
        issuer=iss,
        key_id=kid,
        clock_tolerance=idp.clock_tolerance,
        algorithms=algorithms,
        audience_list=options.audience_list,
        reject_future_iat=options.reject_future_iat,
    )
    if not options.strict_profile_claims:
        violations = [
            v for v in violations if not (v.code == "missing-claim" and v.field in PROFILE_CLAIMS)
        ]
    groups = claims.get("groups")
    if (
        options.max_groups is not None
        and isinstance(groups, list)
        and len(groups) > options.max_groups
    ):
        violations.append(
            Violation(
                "bad-groups",
                f"groups holds {len(groups)} names, over the limit of {options.max_groups}",
                "Send fewer groups.",
                "groups",
            )
        )
    for step in (
        [v for v in violations if v.code == "missing-claim"],
        [v for v in violations if v.code not in _TIME_CODES and v.code != "missing-claim"],
        [v for v in violations if v.code in _TIME_CODES],
    ):
        if step:
            raise refuse.claims(step)

    # 10. replay
    jti = str(claims["jti"])  # a numeric jti and its text are the same jti
    replayed = refuse.key(
        "jti-replayed",
        f"jti {jti!r} of issuer {iss!r} was already used for a login; mint a new token",
        status=options.replay_status,
    )
    if tenant.sessions.jti_used(iss, jti, now=now):
        raise replayed
    if options.jti_retention_seconds is None:
        jti_expires = float(claims["exp"]) + idp.clock_tolerance
    else:
        jti_expires = now + options.jti_retention_seconds

    # 11. user, jti and session in one transaction
    profile = _profile(claims)
    if options.burn_jti_on_failure:
        with tenant.db.transaction() as conn:
            if not tenant.sessions.consume_jti(conn, iss, jti, expires=jti_expires, now=now):
                raise replayed
    keep = current if options.reuse_session_on_relogin else None
    with tenant.db.transaction() as conn:
        if not options.burn_jti_on_failure and not tenant.sessions.consume_jti(
            conn, iss, jti, expires=jti_expires, now=now
        ):
            raise replayed
        user, session = tenant.sign_in(profile, now=now, keep=keep)
    log.info("jwt-session accepted: sub=%s jti=%s", profile.subject, jti)
    return LoginResult(user, session, jti)
