"""The JWT attack catalogue: forged tokens, each with the answer the emulator and inspect owe.

One table, :data:`ATTACKS`. Each :class:`Attack` builds its bearer token(s) with a
:class:`~tests.support.forge.Forge` (the registered key, an attacker's key, the tenant's
``now``) and states:

- ``status`` and ``reason``: what ``POST /login/jwt-session`` answers (the ``meta.reason`` of
  every error entry; ``""`` with 200);
- ``inspect``: the exact set of violation codes ``qlik_jwt.inspection`` and ``qlik-jwt
  inspect`` report, given the registered certificate, issuer, key id and clock tolerance.

``kind`` says how the tokens are sent: ``single`` (one request), ``replay`` (in turn: the first
is accepted, every later one gets ``status``/``reason``) or ``parallel`` (the one token from
:data:`PARALLEL` clients at once: exactly one is accepted). ``options`` are emulator options.

The README's security section shows :func:`markdown_table`; a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes

from qlik_jwt.contract import AUDIENCE, MAX_WINDOW_SECONDS, REQUIRED_CLAIMS
from qlik_jwt.emulator.state.users import ADMIN_SUBJECT
from qlik_jwt.jws import MAX_TOKEN_LENGTH
from tests.support import forge as F
from tests.support.forge import ISSUER, KID, TOLERANCE, Forge

__all__ = ["ATTACKS", "PARALLEL", "Attack", "markdown_table"]

PARALLEL = 16
Kind = Literal["single", "replay", "parallel"]


@dataclass(frozen=True)
class Attack:
    """One case: how it is built and sent, and what each verifier must answer."""

    name: str
    sends: str
    build: Callable[[Forge], tuple[str, ...]]
    status: int
    reason: str
    inspect: frozenset[str]
    kind: Kind = "single"
    options: Mapping[str, Any] = field(default_factory=dict)


def attack(
    name: str,
    sends: str,
    build: Callable[[Forge], str | tuple[str, ...]],
    answer: str,
    inspect: str = "",
    *,
    kind: Kind = "single",
    **options: Any,
) -> Attack:
    """``answer`` is ``"<status> [<meta.reason>]"``; ``inspect`` the codes, space-separated."""
    status, _, reason = answer.partition(" ")

    def built(forge: Forge) -> tuple[str, ...]:
        made = build(forge)
        return made if isinstance(made, tuple) else (made,)

    return Attack(
        name, sends, built, int(status), reason, frozenset(inspect.split()), kind, options
    )


def _missing(claim: str) -> Attack:
    return attack(
        f"missing-{claim}",
        f"no `{claim}` claim",
        lambda f: f.valid(**{claim: ...}),
        "400 missing_claim",
        "missing-claim",
    )


def _at(f: Forge, offset: int) -> int:
    return int(f.now) + offset


MALFORMED = "401 malformed_token"
BAD_SIGNATURE = "401 bad_signature"
ALG = "401 alg_not_allowed"
ALG_AND_SIGNATURE = "alg-not-allowed bad-signature"
UNKNOWN_KID = "401 unknown_kid"
UNSUPPORTED_HEADER = "401 unsupported_header"
HOUR = MAX_WINDOW_SECONDS

ATTACKS: tuple[Attack, ...] = (
    attack("control", "a valid token (the control case)", lambda f: f.valid(), "200"),
    # the algorithm
    attack(
        "alg-none",
        '`alg: "none"`, empty signature',
        lambda f: f.signing_input(f.header(alg="none"), None) + ".",
        ALG,
        ALG_AND_SIGNATURE,
    ),
    attack(
        "alg-none-mixed-case",
        '`alg: "nOnE"`, empty signature',
        lambda f: f.signing_input(f.header(alg="nOnE"), None) + ".",
        ALG,
        ALG_AND_SIGNATURE,
    ),
    attack(
        "alg-missing",
        "no `alg` in the header, an RS256 signature",
        lambda f: f.sign(f.header(alg=...)),
        ALG,
        ALG_AND_SIGNATURE,
    ),
    attack(
        "hs256-public-key",
        "HS256 keyed with the registered public key (SPKI PEM): key confusion",
        lambda f: f.hmac_sign(f.spki_pem),
        ALG,
        ALG_AND_SIGNATURE,
    ),
    attack(
        "hs256-certificate",
        "HS256 keyed with the single-line certificate PEM the provider stores",
        F.hs256_with_certificate,
        ALG,
        ALG_AND_SIGNATURE,
    ),
    attack(
        "ps256",
        "`alg: PS256` (RSA-PSS) with the registered key",
        lambda f: f.sign(f.header(alg="PS256"), pss=True),
        ALG,
        ALG_AND_SIGNATURE,
    ),
    attack(
        "rs512-not-enabled",
        "`alg: RS512` with the registered key (RS256 only by default)",
        lambda f: f.sign(f.header(alg="RS512"), hash_alg=hashes.SHA512()),
        ALG,
        "alg-not-allowed",
    ),
    attack(
        "jwk-injection",
        "the attacker's key in header `jwk`/`jku`/`x5u`, signed with it",
        F.jwk_injection,
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "crit-unknown",
        '`crit: ["http://example.com/ext"]` naming an extension, signed with the registered key',
        lambda f: f.sign(
            f.header(crit=["http://example.com/ext"], **{"http://example.com/ext": 1})
        ),
        UNSUPPORTED_HEADER,
        "unsupported-header",
    ),
    attack(
        "crit-empty",
        "`crit: []` (RFC 7515 forbids an empty list), signed with the registered key",
        lambda f: f.sign(f.header(crit=[])),
        UNSUPPORTED_HEADER,
        "unsupported-header",
    ),
    attack(
        "enc-header",
        '`enc: "A256GCM"` (a JWE header field) in a signed token',
        lambda f: f.sign(f.header(enc="A256GCM")),
        UNSUPPORTED_HEADER,
        "unsupported-header",
    ),
    # the key id
    attack(
        "kid-unknown",
        "a `kid` the provider does not have",
        lambda f: f.sign(f.header(kid="another-key")),
        UNKNOWN_KID,
        "kid-mismatch",
    ),
    attack(
        "kid-path-traversal",
        "`kid: ../../../../dev/null`",
        lambda f: f.sign(f.header(kid="../../../../dev/null")),
        UNKNOWN_KID,
        "kid-mismatch",
    ),
    attack(
        "kid-sql-or",
        "`kid: x' OR '1'='1' --`",
        lambda f: f.sign(f.header(kid="x' OR '1'='1' --")),
        UNKNOWN_KID,
        "kid-mismatch",
    ),
    attack(
        "kid-sql-drop",
        "`kid: '; DROP TABLE identity_providers; --`",
        lambda f: f.sign(f.header(kid="'; DROP TABLE identity_providers; --")),
        UNKNOWN_KID,
        "kid-mismatch",
    ),
    attack(
        "kid-nul-byte",
        "the right `kid` followed by a NUL character",
        lambda f: f.sign(f.header(kid=KID + "\u0000")),
        UNKNOWN_KID,
        "kid-mismatch",
    ),
    attack(
        "kid-object",
        '`kid: {"$ne": null}`',
        lambda f: f.sign(f.header(kid={"$ne": None})),
        "401 kid_missing",
        "missing-kid",
    ),
    attack(
        "kid-missing",
        "no `kid` in the header",
        lambda f: f.sign(f.header(kid=...)),
        "401 kid_missing",
        "missing-kid",
    ),
    # the issuer
    attack(
        "issuer-mismatch",
        "another issuer",
        lambda f: f.valid(iss="evil.example.com"),
        "401 unknown_issuer",
        "issuer-mismatch",
    ),
    attack(
        "issuer-case",
        "the issuer in upper case",
        lambda f: f.valid(iss=ISSUER.upper()),
        "401 unknown_issuer",
        "issuer-mismatch",
    ),
    attack(
        "issuer-untrimmed",
        "the issuer with a trailing space",
        lambda f: f.valid(iss=ISSUER + " "),
        "401 unknown_issuer",
        "untrimmed-value",
    ),
    attack(
        "issuer-sql",
        "`iss: ' OR 1=1 --`",
        lambda f: f.valid(iss="' OR 1=1 --"),
        "401 unknown_issuer",
        "issuer-mismatch",
    ),
    # the audience
    attack(
        "aud-array",
        "`aud` as an array holding the audience",
        lambda f: f.valid(aud=[AUDIENCE]),
        "200",
        "wrong-audience",
    ),
    attack(
        "aud-array-extra",
        "`aud` as an array holding the audience and another",
        lambda f: f.valid(aud=[AUDIENCE, "https://api.example.com"]),
        "200",
        "wrong-audience",
    ),
    attack(
        "aud-array-strict",
        "`aud` as an array, emulator option `audience_list=false`",
        lambda f: f.valid(aud=[AUDIENCE]),
        "400 aud_mismatch",
        "wrong-audience",
        audience_list=False,
    ),
    attack(
        "aud-array-without",
        "`aud` as an array without the audience",
        lambda f: f.valid(aud=["https://api.example.com"]),
        "400 aud_mismatch",
        "wrong-audience",
    ),
    attack(
        "aud-wrong",
        '`aud: "qlik.api"`',
        lambda f: f.valid(aud="qlik.api"),
        "400 aud_mismatch",
        "wrong-audience",
    ),
    # time
    attack(
        "expired",
        "`exp` 60 s ago",
        lambda f: f.valid(iat=_at(f, -600), nbf=_at(f, -600), exp=_at(f, -60)),
        "400 expired",
        "expired",
    ),
    attack(
        "expired-within-tolerance",
        f"`exp` 3 s ago, tolerance {TOLERANCE} s",
        lambda f: f.valid(iat=_at(f, -60), nbf=_at(f, -60), exp=_at(f, -3)),
        "200",
    ),
    attack(
        "nbf-future",
        f"`nbf` 60 s ahead, tolerance {TOLERANCE} s",
        lambda f: f.valid(iat=_at(f, 60), nbf=_at(f, 60), exp=_at(f, 120)),
        "400 not_yet_valid",
        "not-yet-valid",
    ),
    attack(
        "nbf-within-tolerance",
        f"`nbf` 3 s ahead, tolerance {TOLERANCE} s",
        lambda f: f.valid(iat=_at(f, 3), nbf=_at(f, 3)),
        "200",
    ),
    attack(
        "window-too-long",
        f"`exp - nbf` = {HOUR + 1} s",
        lambda f: f.valid(exp=_at(f, HOUR + 1)),
        "400 window_too_long",
        "window-too-long",
    ),
    attack(
        "window-exactly-3600",
        f"`exp - nbf` = {HOUR} s",
        lambda f: f.valid(exp=_at(f, HOUR)),
        "200",
    ),
    attack(
        "iat-next-year",
        "`iat` a year ahead (`reject_future_iat` off, as Qlik seems to)",
        lambda f: f.valid(iat=_at(f, 365 * 86400)),
        "200",
    ),
    # the required claims, one missing at a time
    *(_missing(claim) for claim in (*REQUIRED_CLAIMS, "iat", "nbf", "exp")),
    # replay
    attack(
        "jti-replayed",
        "the same token twice, one after the other",
        lambda f: (token := f.valid(), token),
        "401 jti_replayed",
        kind="replay",
    ),
    attack(
        "jti-replayed-parallel",
        f"the same token from {PARALLEL} clients at once",
        lambda f: f.valid(),
        "401 jti_replayed",
        kind="parallel",
    ),
    attack(
        "jti-number-then-text",
        '`jti: 271828`, then a new token with `jti: "271828"`',
        lambda f: (f.valid(jti=271828), f.valid(jti="271828")),
        "401 jti_replayed",
        kind="replay",
    ),
    # the signature and the integrity of what it covers
    attack(
        "signature-stripped",
        "`header.claims.` (an empty signature)",
        lambda f: f.valid().rpartition(".")[0] + ".",
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "signature-removed",
        "`header.claims` (two parts)",
        lambda f: f.valid().rpartition(".")[0],
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "signature-altered",
        "one character of the signature changed",
        F.signature_altered,
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "signature-truncated",
        "half of the signature",
        F.signature_truncated,
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "signature-other-key",
        "signed with the attacker's key under the registered `kid`",
        lambda f: f.sign(key=f.attacker_key),
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "payload-altered",
        "claims swapped for the administrator's after signing",
        F.payload_altered,
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "header-altered",
        "the header's `typ` changed after signing",
        F.header_altered,
        BAD_SIGNATURE,
        "bad-signature",
    ),
    attack(
        "token-spliced",
        "one token's header and claims with another's signature",
        F.spliced,
        BAD_SIGNATURE,
        "bad-signature",
    ),
    # size
    attack(
        "token-oversized",
        f"more than {MAX_TOKEN_LENGTH} characters (a padding claim)",
        lambda f: f.valid(padding="x" * MAX_TOKEN_LENGTH),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "header-oversized",
        "a JOSE header of 13 KB (token over the limit)",
        lambda f: f.sign(f.header(x="x" * 13_000)),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "groups-oversized",
        "`groups` of 1,500 names (token over the limit)",
        lambda f: f.valid(groups=F.groups(1500)),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "groups-over-max",
        "`groups` of 150 names, emulator option `max_groups=100`",
        lambda f: f.valid(groups=F.groups(150)),
        "400 bad_claim_type",
        max_groups=100,
    ),
    attack(
        "bearer-1mib",
        "an `Authorization` header of 1 MiB",
        lambda f: "a" * 1024 * 1024,
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "bearer-missing",
        "no `Authorization` header",
        lambda f: "",
        "401 missing_bearer",
        "malformed-token",
    ),
    # encoding
    attack(
        "header-not-json",
        "a header that is not JSON",
        lambda f: f.sign(b"alg=RS256"),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "claims-not-json",
        "claims that are not JSON",
        lambda f: f.sign(claims=b"sub=admin"),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "claims-json-array",
        "claims that are a JSON array",
        lambda f: f.sign(claims=b"[1,2]"),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "claims-not-utf8",
        "claims that are not UTF-8",
        lambda f: f.sign(claims=b'{"sub":"\xff\xfe"}'),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "claims-nan",
        "`exp: NaN` (not JSON)",
        lambda f: F.with_literal(f, "exp", "NaN"),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "claims-deep-nesting",
        "claims nested 5,000 arrays deep",
        lambda f: F.raw_claims(f, '{"x":' + "[" * 5000 + "]" * 5000 + "}"),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "duplicate-claim",
        "`sub` twice in the claims (the second the administrator's)",
        F.duplicate_sub,
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "duplicate-header-alg",
        '`"alg":"RS256","alg":"none"` in the header',
        lambda f: f.sign(f'{{"alg":"RS256","alg":"none","kid":"{KID}"}}'.encode()),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "base64-standard-alphabet",
        "`+` and `/` instead of `-` and `_`",
        lambda f: f.valid().replace("-", "+").replace("_", "/") + "+/",
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "base64-padding",
        "`=` padding after the signature",
        lambda f: f.valid() + "==",
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "base64-non-canonical",
        "the signature re-spelled with non-zero unused bits (the same bytes)",
        F.non_canonical_signature,
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "base64-bad-length",
        "a part of 4n+1 characters",
        F.bad_base64_length,
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "five-parts",
        "five dot-separated parts (the JWE shape)",
        lambda f: f.valid() + ".AAAA.AAAA",
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "whitespace-inside",
        "a space inside the token",
        lambda f: f.valid().replace(".", ". ", 1),
        MALFORMED,
        "malformed-token",
    ),
    # types and numbers
    attack(
        "times-as-strings",
        '`iat`, `nbf`, `exp` as numeric strings (`"1767225600"`)',
        lambda f: f.valid(iat=str(_at(f, 0)), nbf=str(_at(f, 0)), exp=str(_at(f, 60))),
        "400 bad_claim_type",
        "bad-claim-type",
    ),
    attack(
        "exp-huge-integer",
        "`exp: 10**400`",
        lambda f: f.valid(exp=10**400),
        "400 bad_claim_type",
        "bad-claim-type",
    ),
    attack(
        "exp-1e400",
        "`exp: 1e400` (a float overflowing to infinity)",
        lambda f: F.with_literal(f, "exp", "1e400"),
        "400 bad_claim_type",
        "bad-claim-type",
    ),
    attack(
        "exp-1e20",
        "`exp: 10**20` (far future, a valid number)",
        lambda f: f.valid(exp=10**20),
        "400 window_too_long",
        "window-too-long",
    ),
    attack(
        "jti-huge-integer",
        "`jti` an integer of 5,000 digits",
        lambda f: F.with_literal(f, "jti", "9" * 5000),
        MALFORMED,
        "malformed-token",
    ),
    attack(
        "email-verified-text",
        '`email_verified: "true"`',
        lambda f: f.valid(email_verified="true"),
        "400 bad_claim_type",
        "bad-claim-type",
    ),
    attack(
        "sub-number",
        "`sub: 42`",
        lambda f: f.valid(sub=42),
        "400 bad_claim_type",
        "bad-claim-type",
    ),
    attack(
        "groups-string",
        '`groups: "Admins"` (not a list)',
        lambda f: f.valid(groups="Admins"),
        "400 bad_claim_type",
        "bad-groups",
    ),
    attack(
        "groups-nul",
        '`groups: ["Finance\\u0000Admins"]` (a NUL inside a name)',
        lambda f: f.valid(groups=["Finance\u0000Admins"]),
        "400 bad_claim_type",
        "bad-groups",
    ),
    attack(
        "groups-newline",
        '`groups: ["Finance\\nAdmins"]` (a line break inside a name)',
        lambda f: f.valid(groups=["Finance\nAdmins"]),
        "400 bad_claim_type",
        "bad-groups",
    ),
    attack(
        "groups-number-with-max",
        "`groups: 7`, emulator option `max_groups=100`",
        lambda f: f.valid(groups=7),
        "400 bad_claim_type",
        "bad-groups",
        max_groups=100,
    ),
    attack(
        "subtype-admin",
        '`subType: "admin"`',
        lambda f: f.valid(subType="admin"),
        "400 subtype_invalid",
        "bad-subtype",
    ),
    # what the key is worth
    attack(
        "administrator-subject",
        "a valid token whose `sub` is the emulator administrator's (the admin key's user)",
        lambda f: f.valid(sub=ADMIN_SUBJECT),
        "403 administrator_login",
    ),
)


def expected_jwt_session(case: Attack) -> str:
    """What ``jwt-session`` answers, as the README's table says it."""
    answer = f"{case.status}" + (f" `{case.reason}`" if case.reason else "")
    if case.kind == "replay":
        return f"200, then {answer}"
    if case.kind == "parallel":
        return f"one 200, {PARALLEL - 1} times {answer}"
    return answer


def markdown_table() -> str:
    """The catalogue as the README shows it."""
    lines = [
        "| case | the attacker sends | `jwt-session` answers | `inspect` reports |",
        "|---|---|---|---|",
    ]
    for case in ATTACKS:
        found = ", ".join(f"`{code}`" for code in sorted(case.inspect)) or "nothing (valid)"
        lines.append(f"| `{case.name}` | {case.sends} | {expected_jwt_session(case)} | {found} |")
    return "\n".join(lines)
