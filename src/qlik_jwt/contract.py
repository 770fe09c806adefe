"""Qlik Cloud's rules for a JWT posted to ``/login/jwt-session``, as data plus one checker.

:func:`check` is shared by the signer's pre-flight check, ``qlik-jwt inspect`` and the
emulator's ``jwt-session``, so a violation code seen anywhere is documented once, in
:data:`RULES` and in the README.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
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
    "Violation",
    "check",
]

AUDIENCE = "qlik.api/login/jwt-session"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "subType", "name", "email", "email_verified", "jti")
TIME_CLAIMS = ("iat", "nbf", "exp")
MAX_WINDOW_SECONDS = 3600
DEFAULT_ALGORITHMS = frozenset({"RS256"})
OPTIONAL_ALGORITHMS = frozenset({"RS384", "RS512"})

_STRING_CLAIMS = ("iss", "sub", "subType", "name", "email")


@dataclass(frozen=True)
class Rule:
    """One documented reason for refusal: its stable code, what it means and the usual fix."""

    code: str
    meaning: str
    fix: str


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
        ),
        Rule(
            "alg-not-allowed",
            "The header's `alg` is missing, `none`, an HMAC (`HS*`) or not enabled.",
            "Sign with RS256 and the private key whose certificate is registered in Qlik.",
        ),
        Rule(
            "unsupported-header",
            "The header carries `crit` (extensions the verifier must understand) or `enc` "
            "(an encrypted token, JWE); Qlik documents neither.",
            "Sign a plain JWS whose header holds only alg, kid and typ.",
        ),
        Rule(
            "missing-kid",
            "The header has no `kid`.",
            "Put the key id of the JWT identity provider in the header's `kid`.",
        ),
        Rule(
            "kid-mismatch",
            "The header's `kid` differs from the identity provider's key id.",
            "Use the key id registered in the identity provider's `staticKeys[0].kid`.",
        ),
        Rule(
            "bad-signature",
            "The signature does not verify with the registered certificate or public key.",
            "Sign with the private key that belongs to the registered certificate.",
        ),
        Rule(
            "missing-claim",
            "A required claim is absent (Qlik: `INTERNAL-TOKEN-1 Missing required claim`).",
            "Add the claim; Qlik requires iss, aud, sub, subType, name, email, "
            "email_verified, jti, iat, nbf and exp.",
        ),
        Rule(
            "bad-claim-type",
            "A claim has the wrong JSON type (e.g. a date as a string, `email_verified` as text).",
            "Dates are numbers of seconds since 1970, `email_verified` is true or false, "
            "the other required claims are strings.",
        ),
        Rule(
            "empty-claim",
            "A required string claim is empty.",
            "Give the claim a value.",
        ),
        Rule(
            "untrimmed-value",
            "`iss` or `kid` has leading or trailing whitespace; Qlik compares them exactly.",
            "Remove the whitespace from the value and from the settings it came from.",
        ),
        Rule(
            "issuer-mismatch",
            "`iss` differs from the identity provider's issuer (compared exactly).",
            "Use the issuer registered in the identity provider's `options.issuer`.",
        ),
        Rule(
            "wrong-audience",
            f"`aud` is not `{AUDIENCE}`.",
            f'Set "aud": "{AUDIENCE}".',
        ),
        Rule(
            "bad-subtype",
            '`subType` is not "user".',
            'Set "subType": "user".',
        ),
        Rule(
            "bad-groups",
            "`groups` is not a list of non-empty strings.",
            'Send group names as a JSON list of strings, e.g. ["Finance"], or leave it out.',
        ),
        Rule(
            "not-yet-valid",
            "`nbf` is still in the future, beyond the clock tolerance.",
            "Set nbf to the current time (not later) and keep the server clock synchronised.",
        ),
        Rule(
            "expired",
            "`exp` has passed, beyond the clock tolerance.",
            "Mint a fresh token for every login; do not cache tokens.",
        ),
        Rule(
            "window-too-long",
            f"`exp - nbf` exceeds {MAX_WINDOW_SECONDS} seconds.",
            f"Keep exp at most {MAX_WINDOW_SECONDS} s after nbf; 60 s is plenty for a login.",
        ),
        Rule(
            "iat-in-future",
            "`iat` is later than now, beyond the clock tolerance (only checked when asked).",
            "Set iat to the current time from a synchronised server clock.",
        ),
        Rule(
            "jti-replayed",
            "This `jti` was already used for a login (reported by the emulator).",
            "Mint a new token, with a new random jti, for every login.",
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


def _check_header(
    header: Mapping[str, Any], key_id: str | None, algorithms: Collection[str]
) -> list[Violation]:
    found: list[Violation] = []
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        found.append(_v("alg-not-allowed", "The header has no alg.", "alg"))
    elif alg.lower() == "none" or alg.upper().startswith("HS"):
        found.append(
            _v("alg-not-allowed", f"alg {describe(alg)} is always refused by Qlik.", "alg")
        )
    elif alg not in algorithms:
        allowed = ", ".join(sorted(algorithms))
        found.append(
            _v("alg-not-allowed", f"alg {describe(alg)} is not allowed ({allowed}).", "alg")
        )

    # RFC 7515 §4.1.11: a verifier refuses a `crit` it does not understand; Qlik documents no
    # header extension (and no encrypted tokens), so any `crit` or `enc` is refused.
    for name, what in (("crit", "lists extensions"), ("enc", "marks an encrypted token (JWE)")):
        if name in header:
            found.append(
                _v(
                    "unsupported-header",
                    f"The header's {name} {describe(header[name])} {what}; Qlik understands "
                    "only alg, kid and typ.",
                    name,
                )
            )

    kid = header.get("kid")
    if kid is None:
        found.append(_v("missing-kid", "The header has no kid.", "kid"))
    elif not isinstance(kid, str) or not kid:
        found.append(
            _v("missing-kid", f"kid must be a non-empty string, got {describe(kid)}.", "kid")
        )
    elif kid != kid.strip():
        found.append(
            _v("untrimmed-value", f"kid {describe(kid)} has surrounding whitespace.", "kid")
        )
    elif key_id is not None and kid != key_id:
        found.append(
            _v(
                "kid-mismatch",
                f"kid {describe(kid)} is not the expected {describe(key_id)}.",
                "kid",
            )
        )
    return found


def _check_values(
    claims: Mapping[str, Any], issuer: str | None, audience_list: bool
) -> list[Violation]:
    found: list[Violation] = []
    for name in REQUIRED_CLAIMS + TIME_CLAIMS:
        if name not in claims:
            found.append(_v("missing-claim", f"Missing required claim: {name}.", name))

    for name in _STRING_CLAIMS:
        value = claims.get(name)
        if name not in claims:
            continue
        if not isinstance(value, str):
            found.append(
                _v("bad-claim-type", f"{name} must be a string, got {describe(value)}.", name)
            )
        elif not value.strip():
            found.append(_v("empty-claim", f"{name} is empty.", name))

    iss = claims.get("iss")
    if isinstance(iss, str) and iss.strip():
        if iss != iss.strip():
            found.append(
                _v("untrimmed-value", f"iss {describe(iss)} has surrounding whitespace.", "iss")
            )
        elif issuer is not None and iss != issuer:
            found.append(
                _v(
                    "issuer-mismatch",
                    f"iss {describe(iss)} is not the expected {describe(issuer)}.",
                    "iss",
                )
            )

    if "aud" in claims:
        aud = claims["aud"]
        listed = audience_list and isinstance(aud, list) and AUDIENCE in aud
        if aud != AUDIENCE and not listed:
            found.append(_v("wrong-audience", f"aud is {describe(aud)}, not {AUDIENCE!r}.", "aud"))

    subtype = claims.get("subType")
    if isinstance(subtype, str) and subtype.strip() and subtype != "user":
        found.append(_v("bad-subtype", f'subType is {describe(subtype)}, not "user".', "subType"))

    if "email_verified" in claims and not isinstance(claims["email_verified"], bool):
        found.append(
            _v(
                "bad-claim-type",
                f"email_verified must be true or false, got {describe(claims['email_verified'])}.",
                "email_verified",
            )
        )

    if "jti" in claims:
        jti = claims["jti"]
        if isinstance(jti, str):
            if not jti.strip():
                found.append(_v("empty-claim", "jti is empty.", "jti"))
        elif not (isinstance(jti, int) and not isinstance(jti, bool)):
            found.append(
                _v(
                    "bad-claim-type",
                    f"jti must be a string or an integer, got {describe(jti)}.",
                    "jti",
                )
            )

    if "groups" in claims:
        groups = claims["groups"]
        if not isinstance(groups, list) or not all(
            isinstance(g, str) and g.strip() for g in groups
        ):
            found.append(
                _v(
                    "bad-groups",
                    f"groups must be a list of non-empty strings, got {describe(groups)}.",
                    "groups",
                )
            )
    return found


def _check_time(
    claims: Mapping[str, Any], now: float, tolerance: float, reject_future_iat: bool
) -> list[Violation]:
    found: list[Violation] = []
    times = {}
    for name in TIME_CLAIMS:
        if name in claims:
            if _is_number(claims[name]):
                times[name] = claims[name]
            else:
                found.append(
                    _v(
                        "bad-claim-type",
                        f"{name} must be a number of seconds since 1970, "
                        f"got {describe(claims[name])}.",
                        name,
                    )
                )
    nbf, exp, iat = times.get("nbf"), times.get("exp"), times.get("iat")
    if nbf is not None and nbf - tolerance > now:
        found.append(
            _v(
                "not-yet-valid",
                f"nbf is {nbf - now:.0f} s in the future (tolerance {tolerance:g} s).",
                "nbf",
            )
        )
    if exp is not None and now >= exp + tolerance:
        found.append(
            _v("expired", f"exp passed {now - exp:.0f} s ago (tolerance {tolerance:g} s).", "exp")
        )
    if nbf is not None and exp is not None and exp - nbf > MAX_WINDOW_SECONDS:
        found.append(
            _v(
                "window-too-long",
                f"exp - nbf is {exp - nbf:.0f} s, over {MAX_WINDOW_SECONDS} s.",
                "exp",
            )
        )
    if reject_future_iat and iat is not None and iat - tolerance > now:
        found.append(_v("iat-in-future", f"iat is {iat - now:.0f} s in the future.", "iat"))
    return found


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
    """Return every rule of Qlik's JWT contract that ``header`` and ``claims`` break.

    An empty list means Qlik would accept the token's content; the signature is not checked
    here. ``issuer`` and ``key_id``, when given, must match exactly. ``clock_tolerance`` is
    the identity provider's ``clockToleranceSec``, applied to ``nbf`` and ``exp``.
    ``algorithms`` may add RS384/RS512; ``none`` and ``HS*`` are always refused.
    ``audience_list`` also accepts an ``aud`` list that contains the audience.

    Raises ``ValueError`` for an ``algorithms`` entry outside RS256/RS384/RS512, a
    negative tolerance or a ``now`` that is not a finite number (``nan`` would pass every
    time rule).
    """
    unknown = set(algorithms) - DEFAULT_ALGORITHMS - OPTIONAL_ALGORITHMS
    if unknown:
        raise ValueError(f"algorithms may hold only RS256, RS384, RS512; got {sorted(unknown)}")
    if clock_tolerance < 0:
        raise ValueError(f"clock_tolerance must be >= 0, got {clock_tolerance}")
    if not _is_number(now):
        raise ValueError(f"now must be a finite number of seconds, got {now!r}")
    return (
        _check_header(header, key_id, algorithms)
        + _check_values(claims, issuer, audience_list)
        + _check_time(claims, now, clock_tolerance, reject_future_iat)
    )
