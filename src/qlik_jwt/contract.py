"""Qlik Cloud's rules for a JWT posted to ``/login/jwt-session``, as data plus one checker.

:func:`check` is shared by the signer's pre-flight check, ``qlik-jwt inspect`` and the
emulator's ``jwt-session``, so a violation code seen anywhere is documented once, in
:data:`RULES` and in the README.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from qlik_jwt.errors import describe

__all__ = [
    "AUDIENCE",
    "DEFAULT_ALGORITHMS",
    "MAX_WINDOW_SECONDS",
    "OPTIONAL_ALGORITHMS",
    "REQUIRED_CLAIMS",
    "RULES",
    "Rule",
    "Step",
    "Violation",
    "check",
    "check_claims",
    "check_header",
]

AUDIENCE = "qlik.api/login/jwt-session"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "subType", "name", "email", "email_verified", "jti")
TIME_CLAIMS = ("iat", "nbf", "exp")
MAX_WINDOW_SECONDS = 3600
DEFAULT_ALGORITHMS = frozenset({"RS256"})
OPTIONAL_ALGORITHMS = frozenset({"RS384", "RS512"})

_STRING_CLAIMS = ("iss", "sub", "subType", "name", "email")


class Step(IntEnum):
    """The order in which a login checks a token; a refusal reports the faults of the first
    failing step only. The numbers are the emulator's steps (1 and 2, rate limit and
    origin, come before any token is read)."""

    TOKEN = 3  # a compact JWS that decodes
    HEADER = 4  # alg allowed, no crit or enc, kid present
    IDENTITY_PROVIDER = 5  # a provider with this issuer and key id
    SIGNATURE = 6
    PRESENCE = 7  # the required claims present
    VALUES = 8  # claim values and types
    TIME = 9  # nbf, exp, the window, iat
    REPLAY = 10  # the (iss, jti) pair unused


@dataclass(frozen=True)
class Rule:
    """One documented reason for refusal: its stable code, what it means, the usual fix,
    the login ``step`` that checks it and the emulator's ``meta.reason`` for it (several
    rules may share a reason; the first of them in :data:`RULES` explains it)."""

    code: str
    meaning: str
    fix: str
    step: Step
    reason: str


@dataclass(frozen=True)
class Violation:
    """One broken rule in one token. ``field`` is the claim or header field concerned."""

    code: str
    message: str
    fix: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "fix": self.fix, "field": self.field}


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule(
            "malformed-token",
            "The text is not three base64url parts whose first two are JSON objects.",
            "Send the compact JWS exactly as the signer produced it, with nothing around it.",
            Step.TOKEN,
            "malformed_token",
        ),
        Rule(
            "alg-not-allowed",
            "The header's `alg` is missing, `none`, an HMAC (`HS*`) or not enabled.",
            "Sign with RS256 and the private key whose certificate is registered in Qlik.",
            Step.HEADER,
            "alg_not_allowed",
        ),
        Rule(
            "unsupported-header",
            "The header carries `crit` (extensions the verifier must understand) or `enc` "
            "(an encrypted token, JWE); Qlik documents neither.",
            "Sign a plain JWS whose header holds only alg, kid and typ.",
            Step.HEADER,
            "unsupported_header",
        ),
        Rule(
            "missing-kid",
            "The header has no `kid`.",
            "Put the key id of the JWT identity provider in the header's `kid`.",
            Step.HEADER,
            "kid_missing",
        ),
        Rule(
            "kid-mismatch",
            "The header's `kid` differs from the identity provider's key id.",
            "Use the key id registered in the identity provider's `staticKeys[0].kid`.",
            Step.IDENTITY_PROVIDER,
            "unknown_kid",
        ),
        Rule(
            "bad-signature",
            "The signature does not verify with the registered certificate or public key.",
            "Sign with the private key that belongs to the registered certificate.",
            Step.SIGNATURE,
            "bad_signature",
        ),
        Rule(
            "missing-claim",
            "A required claim is absent (Qlik: `INTERNAL-TOKEN-1 Missing required claim`).",
            "Add the claim; Qlik requires iss, aud, sub, subType, name, email, "
            "email_verified, jti, iat, nbf and exp.",
            Step.PRESENCE,
            "missing_claim",
        ),
        Rule(
            "bad-claim-type",
            "A claim has the wrong JSON type (e.g. a date as a string, `email_verified` as text).",
            "Dates are numbers of seconds since 1970, `email_verified` is true or false, "
            "the other required claims are strings.",
            Step.VALUES,
            "bad_claim_type",
        ),
        Rule(
            "empty-claim",
            "A required string claim is empty.",
            "Give the claim a value.",
            Step.VALUES,
            "bad_claim_type",
        ),
        Rule(
            "untrimmed-value",
            "`iss` or `kid` has leading or trailing whitespace; Qlik compares them exactly.",
            "Remove the whitespace from the value and from the settings it came from.",
            Step.VALUES,
            "bad_claim_type",
        ),
        Rule(
            "issuer-mismatch",
            "`iss` differs from the identity provider's issuer (compared exactly).",
            "Use the issuer registered in the identity provider's `options.issuer` (set "
            "QLIK_ISSUER to it), or register yours with `qlik-jwt setup`.",
            Step.IDENTITY_PROVIDER,
            "unknown_issuer",
        ),
        Rule(
            "wrong-audience",
            f"`aud` is not `{AUDIENCE}`.",
            f'Set "aud": "{AUDIENCE}".',
            Step.VALUES,
            "aud_mismatch",
        ),
        Rule(
            "bad-subtype",
            '`subType` is not "user".',
            'Set "subType": "user".',
            Step.VALUES,
            "subtype_invalid",
        ),
        Rule(
            "bad-groups",
            "`groups` is not a list of non-empty strings without control characters (NUL...).",
            'Send group names as a JSON list of strings, e.g. ["Finance"], or leave it out.',
            Step.VALUES,
            "bad_claim_type",
        ),
        Rule(
            "not-yet-valid",
            "`nbf` is still in the future, beyond the clock tolerance.",
            "Set nbf to the current time (not later) and keep the server clock synchronised.",
            Step.TIME,
            "not_yet_valid",
        ),
        Rule(
            "expired",
            "`exp` has passed, beyond the clock tolerance.",
            "Mint a fresh token for every login; do not cache tokens.",
            Step.TIME,
            "expired",
        ),
        Rule(
            "window-too-long",
            f"`exp - nbf` exceeds {MAX_WINDOW_SECONDS} seconds.",
            f"Keep exp at most {MAX_WINDOW_SECONDS} s after nbf; 60 s is plenty for a login.",
            Step.TIME,
            "window_too_long",
        ),
        Rule(
            "iat-in-future",
            "`iat` is later than now, beyond the clock tolerance (only checked when asked).",
            "Set iat to the current time from a synchronised server clock.",
            Step.TIME,
            "iat_in_future",
        ),
        Rule(
            "jti-replayed",
            "This `jti` was already used for a login (reported by the emulator).",
            "Mint a new token, with a new random jti, for every login.",
            Step.REPLAY,
            "jti_replayed",
        ),
    )
}


def _v(code: str, message: str, field: str | None = None) -> Violation:
    return Violation(code, message, RULES[code].fix, field)


def _is_number(value: Any) -> bool:
    """A JSON number usable as seconds: finite, and for integers, within a float's range."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond a float's range: no date is that far away
        return False


def check(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    now: float,
    issuer: str | None = None,
    key_id: str | None = None,
    clock_tolerance: float = 0,
    algorithms: Collection[str] = DEFAULT_ALGORITHMS,
    audience_list: bool = False,
    reject_future_iat: bool = False,
) -> list[Violation]:
    """Return every rule of Qlik's JWT contract that ``header`` and ``claims`` break:
    :func:`check_header`'s violations, then :func:`check_claims`'.

    An empty list means Qlik would accept the token's content; the signature is not checked
    here. ``issuer`` and ``key_id``, when given, must match exactly. ``clock_tolerance`` is
    the identity provider's ``clockToleranceSec``, applied to ``nbf`` and ``exp``.
    ``algorithms`` may add RS384/RS512; ``none`` and ``HS*`` are always refused.
    ``audience_list`` also accepts an ``aud`` list that contains the audience.

    Raises ``ValueError`` for an ``algorithms`` entry outside RS256/RS384/RS512, a
    negative tolerance or a ``now`` that is not a finite number (``nan`` would pass every
    time rule).
    """
    found = check_header(header, key_id=key_id, algorithms=algorithms)
    return found + check_claims(
        claims,
        now=now,
        issuer=issuer,
        clock_tolerance=clock_tolerance,
        audience_list=audience_list,
        reject_future_iat=reject_future_iat,
    )


def check_header(
    header: Mapping[str, Any],
    *,
    key_id: str | None = None,
    algorithms: Collection[str] = DEFAULT_ALGORITHMS,
) -> list[Violation]:
    """The rules ``header`` breaks: ``alg``, ``crit``/``enc``, then ``kid`` (equal to
    ``key_id`` when given). Raises ``ValueError`` for an ``algorithms`` entry outside
    RS256/RS384/RS512."""
    unknown = set(algorithms) - DEFAULT_ALGORITHMS - OPTIONAL_ALGORITHMS
    if unknown:
        raise ValueError(f"algorithms may hold only RS256, RS384, RS512; got {sorted(unknown)}")
    return _check_alg(header, algorithms) + _check_extensions(header) + _check_kid(header, key_id)


def check_claims(
    claims: Mapping[str, Any],
    *,
    now: float,
    issuer: str | None = None,
    clock_tolerance: float = 0,
    audience_list: bool = False,
    reject_future_iat: bool = False,
) -> list[Violation]:
    """The rules ``claims`` break, one check per claim in the order of :func:`check`'s
    arguments. Raises ``ValueError`` for a negative tolerance or a ``now`` that is not a
    finite number."""
    if clock_tolerance < 0:
        raise ValueError(f"clock_tolerance must be >= 0, got {clock_tolerance}")
    if not _is_number(now):
        raise ValueError(f"now must be a finite number of seconds, got {now!r}")
    times, found = _times(claims)
    return (
        _check_present(claims)
        + _check_strings(claims)
        + _check_iss(claims, issuer)
        + _check_aud(claims, audience_list)
        + _check_subtype(claims)
        + _check_email_verified(claims)
        + _check_jti(claims)
        + _check_groups(claims)
        + found
        + _check_nbf(times, now, clock_tolerance)
        + _check_exp(times, now, clock_tolerance)
        + _check_window(times)
        + (_check_iat(times, now, clock_tolerance) if reject_future_iat else [])
    )


# -- the header


def _check_alg(header: Mapping[str, Any], algorithms: Collection[str]) -> list[Violation]:
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        return [_v("alg-not-allowed", "The header has no alg.", "alg")]
    if alg.lower() == "none" or alg.upper().startswith("HS"):
        return [_v("alg-not-allowed", f"alg {describe(alg)} is always refused by Qlik.", "alg")]
    if alg not in algorithms:
        allowed = ", ".join(sorted(algorithms))
        return [_v("alg-not-allowed", f"alg {describe(alg)} is not allowed ({allowed}).", "alg")]
    return []


def _check_extensions(header: Mapping[str, Any]) -> list[Violation]:
    # RFC 7515 §4.1.11: a verifier refuses a `crit` it does not understand; Qlik documents no
    # header extension (and no encrypted tokens), so any `crit` or `enc` is refused.
    return [
        _v(
            "unsupported-header",
            f"The header's {name} {describe(header[name])} {what}; Qlik understands "
            "only alg, kid and typ.",
            name,
        )
        for name, what in (("crit", "lists extensions"), ("enc", "marks an encrypted token (JWE)"))
        if name in header
    ]


def _check_kid(header: Mapping[str, Any], key_id: str | None) -> list[Violation]:
    kid = header.get("kid")
    if kid is None:
        return [_v("missing-kid", "The header has no kid.", "kid")]
    if not isinstance(kid, str) or not kid:
        return [_v("missing-kid", f"kid must be a non-empty string, got {describe(kid)}.", "kid")]
    if kid != kid.strip():
        return [_v("untrimmed-value", f"kid {describe(kid)} has surrounding whitespace.", "kid")]
    if key_id is not None and kid != key_id:
        message = f"kid {describe(kid)} is not the expected {describe(key_id)}."
        return [_v("kid-mismatch", message, "kid")]
    return []


# -- the claims, one check each


def _check_present(claims: Mapping[str, Any]) -> list[Violation]:
    return [
        _v("missing-claim", f"Missing required claim: {name}.", name)
        for name in REQUIRED_CLAIMS + TIME_CLAIMS
        if name not in claims
    ]


def _check_strings(claims: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    for name in _STRING_CLAIMS:
        if name not in claims:
            continue
        value = claims[name]
        if not isinstance(value, str):
            message = f"{name} must be a string, got {describe(value)}."
            found.append(_v("bad-claim-type", message, name))
        elif not value.strip():
            found.append(_v("empty-claim", f"{name} is empty.", name))
    return found


def _check_iss(claims: Mapping[str, Any], issuer: str | None) -> list[Violation]:
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss.strip():
        return []  # reported by _check_present or _check_strings
    if iss != iss.strip():
        return [_v("untrimmed-value", f"iss {describe(iss)} has surrounding whitespace.", "iss")]
    if issuer is not None and iss != issuer:
        message = f"iss {describe(iss)} is not the expected {describe(issuer)}."
        return [_v("issuer-mismatch", message, "iss")]
    return []


def _check_aud(claims: Mapping[str, Any], audience_list: bool) -> list[Violation]:
    if "aud" not in claims:
        return []
    aud = claims["aud"]
    listed = audience_list and isinstance(aud, list) and AUDIENCE in aud
    if aud == AUDIENCE or listed:
        return []
    return [_v("wrong-audience", f"aud is {describe(aud)}, not {AUDIENCE!r}.", "aud")]


def _check_subtype(claims: Mapping[str, Any]) -> list[Violation]:
    subtype = claims.get("subType")
    if isinstance(subtype, str) and subtype.strip() and subtype != "user":
        return [_v("bad-subtype", f'subType is {describe(subtype)}, not "user".', "subType")]
    return []


def _check_email_verified(claims: Mapping[str, Any]) -> list[Violation]:
    if "email_verified" not in claims or isinstance(claims["email_verified"], bool):
        return []
    value = describe(claims["email_verified"])
    message = f"email_verified must be true or false, got {value}."
    return [_v("bad-claim-type", message, "email_verified")]


def _check_jti(claims: Mapping[str, Any]) -> list[Violation]:
    if "jti" not in claims:
        return []
    jti = claims["jti"]
    if isinstance(jti, str):
        return [] if jti.strip() else [_v("empty-claim", "jti is empty.", "jti")]
    if isinstance(jti, int) and not isinstance(jti, bool):
        return []
    message = f"jti must be a string or an integer, got {describe(jti)}."
    return [_v("bad-claim-type", message, "jti")]


def _check_groups(claims: Mapping[str, Any]) -> list[Violation]:
    if "groups" not in claims:
        return []
    groups = claims["groups"]
    if isinstance(groups, list) and all(isinstance(g, str) and g.strip() for g in groups):
        # A NUL or another control character would name a group no one can type or see
        # (and cut names short in C-string code): refused, as in the emulator's parsers.
        controlled = [g for g in groups if any(ord(c) < 32 or ord(c) == 127 for c in g)]
        if controlled:
            message = f"group names may not hold control characters, got {describe(controlled[0])}."
            return [_v("bad-groups", message, "groups")]
        return []
    message = f"groups must be a list of non-empty strings, got {describe(groups)}."
    return [_v("bad-groups", message, "groups")]


# -- the time claims: their types first, then one check per rule


def _times(claims: Mapping[str, Any]) -> tuple[dict[str, float], list[Violation]]:
    """The time claims that are usable numbers, and a violation for each that is not."""
    times: dict[str, float] = {}
    found: list[Violation] = []
    for name in TIME_CLAIMS:
        if name not in claims:
            continue
        if _is_number(claims[name]):
            times[name] = claims[name]
        else:
            message = (
                f"{name} must be a number of seconds since 1970, got {describe(claims[name])}."
            )
            found.append(_v("bad-claim-type", message, name))
    return times, found


def _check_nbf(times: Mapping[str, float], now: float, tolerance: float) -> list[Violation]:
    nbf = times.get("nbf")
    if nbf is None or nbf - tolerance <= now:
        return []
    message = f"nbf is {nbf - now:.0f} s in the future (tolerance {tolerance:g} s)."
    return [_v("not-yet-valid", message, "nbf")]


def _check_exp(times: Mapping[str, float], now: float, tolerance: float) -> list[Violation]:
    exp = times.get("exp")
    if exp is None or now < exp + tolerance:
        return []
    message = f"exp passed {now - exp:.0f} s ago (tolerance {tolerance:g} s)."
    return [_v("expired", message, "exp")]


def _check_window(times: Mapping[str, float]) -> list[Violation]:
    nbf, exp = times.get("nbf"), times.get("exp")
    if nbf is None or exp is None or exp - nbf <= MAX_WINDOW_SECONDS:
        return []
    message = f"exp - nbf is {exp - nbf:.0f} s, over {MAX_WINDOW_SECONDS} s."
    return [_v("window-too-long", message, "exp")]


def _check_iat(times: Mapping[str, float], now: float, tolerance: float) -> list[Violation]:
    iat = times.get("iat")
    if iat is None or iat - tolerance <= now:
        return []
    return [_v("iat-in-future", f"iat is {iat - now:.0f} s in the future.", "iat")]
