"""Every behaviour of the emulator that Qlik has not published, as one set of options.

Each field is one row of the reference's unknowns table (§8) or one documented limit, with
the reference's suggested default and a one-line description. The README's option table,
the CLI's ``--set NAME=VALUE`` and the tests all read :func:`option_fields`, so an option
added here is documented and settable everywhere at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from qlik_jwt.errors import ConfigurationError

__all__ = ["EmulatorOptions", "OptionField", "option_fields"]


def _opt(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class EmulatorOptions:
    """How the emulated tenant behaves where Qlik's behaviour is unknown ([I] in the reference).

    Construct with keyword arguments; :meth:`with_values` parses text values (CLI flags).
    Raises ConfigurationError naming the option for an impossible value.
    """

    # --- jwt-session: statuses of each kind of refusal -------------------------------------
    claim_fault_status: int = _opt(
        400, "HTTP status of claim-content refusals (INTERNAL-TOKEN-1: missing/wrong claims)."
    )
    time_fault_status: int = _opt(
        400, "HTTP status of time refusals (nbf, exp, exp - nbf window, future iat)."
    )
    key_fault_status: int = _opt(
        401, "HTTP status of bearer, header, issuer, key id and signature refusals."
    )
    replay_status: int = _opt(401, "HTTP status when a (iss, jti) pair is used a second time.")
    origin_refused_status: int = _opt(
        403, "HTTP status when an Origin is not listed in the web integration."
    )
    # --- jwt-session: token rules ----------------------------------------------------------
    allow_rs384_rs512: bool = _opt(False, "Also accept RS384 and RS512 (Qlik documents RS256).")
    min_rsa_bits: int = _opt(2048, "Smallest RSA key accepted in an identity provider's pem.")
    strict_profile_claims: bool = _opt(
        True, "Require subType, name, email and email_verified (Qlik lists them as required)."
    )
    audience_list: bool = _opt(True, "Accept an aud array that contains the audience.")
    reject_future_iat: bool = _opt(False, "Refuse an iat later than now + clockToleranceSec.")
    default_clock_tolerance: int = _opt(
        0, "clockToleranceSec of an identity provider created without one."
    )
    max_clock_tolerance: int = _opt(
        3600, "Largest clockToleranceSec accepted (fractions are rounded)."
    )
    jti_retention_seconds: int | None = _opt(
        None,
        "How long a used jti is remembered; empty = until exp + clockToleranceSec.",
    )
    burn_jti_on_failure: bool = _opt(
        False, "Record the jti even when the login is refused after the replay check."
    )
    max_groups: int | None = _opt(None, "Most groups read from one token; empty = no limit.")
    merge_groups: bool = _opt(
        False, "Add token groups to the user's IdP groups instead of replacing them."
    )
    refuse_duplicate_email: bool = _opt(
        True, "Refuse (LOGIN-12) a new subject whose e-mail an active user already has."
    )
    hide_unverified_email: bool = _opt(
        True, "Users whose email_verified is false are shown without an e-mail."
    )
    several_jwt_idps: bool = _opt(
        True, "Allow several active JWT identity providers (key rotation); resolved by iss+kid."
    )
    strict_single_line_pem: bool = _opt(
        False, "Refuse a pem with line breaks instead of normalising it."
    )
    reuse_session_on_relogin: bool = _opt(
        False, "A jwt-session call that carries a valid session keeps it instead of a new one."
    )
    # --- cookies and sessions ---------------------------------------------------------------
    cookie_secure: Literal["auto", "always", "never"] = _opt(
        "auto",
        "Secure + SameSite=None on session cookies: auto = when served over HTTPS "
        "(plain HTTP gets SameSite=Lax without Secure).",
    )
    csrf_cookie_httponly: bool = _opt(True, "HttpOnly on the _csrfToken cookie.")
    cookie_partitioned: bool = _opt(False, "Partitioned (CHIPS) attribute on session cookies.")
    cookie_domain: str | None = _opt(None, "Domain attribute of session cookies; empty = none.")
    cookie_max_age: int | None = _opt(
        None, "Max-Age of session cookies in seconds; empty = browser-session cookies."
    )
    session_inactivity_seconds: int = _opt(
        1800, "A session ends after this long without a request (Qlik default 30 min)."
    )
    session_max_age_seconds: int = _opt(
        86400, "A session ends this long after login whatever its use (Qlik default 24 h)."
    )
    # --- CORS, iframe, users/me, CSP --------------------------------------------------------
    preflight_needs_wiid_origin: bool = _opt(
        False,
        "A preflight must name (query) a web integration listing the origin; "
        "default: any listed origin passes.",
    )
    single_requires_csrf: bool = _opt(
        False, "/single/ needs a matching qlik-csrf-token query parameter."
    )
    users_me_redirect: bool = _opt(
        True, "GET /api/v1/users/me answers 301 to /api/v1/users/{id} (False: 200 directly)."
    )
    csp_origin_keeps_scheme: bool = _opt(
        False, "Keep the scheme of a CSP origin in the API (default: stored as host[:port])."
    )
    websocket_checks_origin: bool = _opt(
        True, "The engine websocket refuses an Origin not listed in a web integration."
    )
    # --- limits -----------------------------------------------------------------------------
    tier1_per_minute: int = _opt(1000, "Tier 1 rate limit (reads), per tenant.")
    tier2_per_minute: int = _opt(100, "Tier 2 rate limit (jwt-session, writes), per tenant.")
    rate_limit_per_address: bool = _opt(
        False, "Count the rate limits per source address (a proxy's worst case), not per tenant."
    )
    rate_limit_window_seconds: int = _opt(
        60, "Window of the per-minute rate limits in seconds (shorter: a minute scaled down)."
    )
    send_retry_after: bool = _opt(True, "429 answers carry Retry-After.")
    max_body_bytes: int = _opt(65536, "Largest request body; more gets 413.")
    max_token_length: int = _opt(16384, "Largest bearer token on jwt-session; more is malformed.")
    oauth_token_lifetime: int = _opt(
        21600, "Lifetime in seconds of the emulator's own OAuth client's access tokens."
    )
    # --- OAuth impersonation ----------------------------------------------------------------
    oauth_max_tokens_per_user: int = _opt(
        25, "Live access tokens one user may hold; one more grant gets 403 too_many_tokens."
    )
    oauth_unknown_user_status: int = _opt(
        400, "HTTP status of an impersonation grant whose user_lookup finds no user."
    )
    oauth_exchanged_token_seconds: int = _opt(
        300,
        "Lifetime of a token exchanged for purpose websocket/webresource (at most the "
        "access token's remaining lifetime).",
    )
    oauth_query_token_needs_exchange: bool = _opt(
        True,
        "The accessToken query parameter (engine websocket, /single/) takes only exchanged "
        "tokens; False: plain access tokens too.",
    )
    # --- answers ----------------------------------------------------------------------------
    strict: bool = _opt(
        False,
        "Qlik-exact error bodies: no meta.reason and no contract code in details.",
    )

    def __post_init__(self) -> None:
        for name in (
            "claim_fault_status",
            "time_fault_status",
            "key_fault_status",
            "replay_status",
            "origin_refused_status",
            "oauth_unknown_user_status",
        ):
            status = getattr(self, name)
            if not 400 <= status <= 499:
                raise ConfigurationError(name, "must be a 4xx status", status, "Use e.g. 400.")
        if self.min_rsa_bits < 2048:
            raise ConfigurationError(
                "min_rsa_bits", "must be at least 2048", self.min_rsa_bits, "Use 2048 or more."
            )
        if self.cookie_secure not in ("auto", "always", "never"):
            raise ConfigurationError(
                "cookie_secure", "must be auto, always or never", self.cookie_secure
            )
        for name in (
            "session_inactivity_seconds",
            "session_max_age_seconds",
            "tier1_per_minute",
            "tier2_per_minute",
            "rate_limit_window_seconds",
            "max_body_bytes",
            "max_token_length",
            "oauth_token_lifetime",
            "oauth_max_tokens_per_user",
            "oauth_exchanged_token_seconds",
        ):
            if getattr(self, name) < 1:
                raise ConfigurationError(name, "must be at least 1", getattr(self, name))
        for name in (
            "default_clock_tolerance",
            "max_clock_tolerance",
            "jti_retention_seconds",
            "max_groups",
            "cookie_max_age",
        ):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigurationError(name, "must not be negative", value)

    def algorithms(self) -> frozenset[str]:
        """The JWS algorithms jwt-session accepts."""
        return frozenset({"RS256", "RS384", "RS512"} if self.allow_rs384_rs512 else {"RS256"})

    def with_values(self, values: Mapping[str, str]) -> EmulatorOptions:
        """A copy with options set from text (``"true"``, ``"401"``, ``""`` for none).

        Raises ConfigurationError naming an unknown option or a value of the wrong type.
        """
        known = {f.name: f for f in option_fields()}
        changes: dict[str, Any] = {}
        for name, text in values.items():
            if name not in known:
                raise ConfigurationError(
                    "option",
                    "is not an emulator option",
                    name,
                    "See the README's emulator options table for the names.",
                )
            changes[name] = _parse(name, known[name].type, text)
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class OptionField:
    name: str
    type: str
    default: Any
    doc: str


def option_fields() -> list[OptionField]:
    """Every option with its type (as written), default and one-line description."""
    return [
        OptionField(f.name, str(f.type), f.default, f.metadata["doc"])
        for f in dataclasses.fields(EmulatorOptions)
    ]


def _parse(name: str, type_text: str, text: str) -> Any:
    value = text.strip()
    if "None" in type_text and value.lower() in ("", "none"):
        return None
    if type_text.startswith("bool"):
        lowered = value.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigurationError(name, "must be true or false", text)
    if type_text.startswith("int"):
        try:
            return int(value)
        except ValueError:
            raise ConfigurationError(name, "must be a whole number", text) from None
    return value or None
