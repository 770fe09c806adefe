"""One test per contract rule: a token that breaks it gets its code, a good one passes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_jwt import contract
from qlik_jwt.contract import AUDIENCE, RULES, check

NOW = 1_767_225_600
HEADER = {"typ": "JWT", "alg": "RS256", "kid": "key-1"}


def good_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "myorganization.com",
        "aud": AUDIENCE,
        "sub": "app|12345",
        "subType": "user",
        "name": "Example User",
        "email": "user@example.com",
        "email_verified": True,
        "jti": "9f1c2b7e4d3a4f0e8b6a5c4d3e2f1a0b",
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 60,
        "groups": ["Finance"],
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


def codes(header: dict[str, Any] = HEADER, **kwargs: Any) -> list[str]:
    claims = kwargs.pop("claims", good_claims())
    return [v.code for v in check(header, claims, now=NOW, **kwargs)]


def test_reference_payload_passes_with_matching_issuer_and_key_id() -> None:
    assert check(HEADER, good_claims(), now=NOW, issuer="myorganization.com", key_id="key-1") == []


def test_known_good_shape_from_qlik_passes_numeric_jti_and_full_hour() -> None:
    claims = good_claims(jti=123456789, exp=NOW + 3600, groups=_DROP)
    assert check(HEADER, claims, now=NOW) == []


@pytest.mark.parametrize("claim", [*contract.REQUIRED_CLAIMS, "iat", "nbf", "exp"])
def test_each_missing_claim_is_named(claim: str) -> None:
    violations = check(HEADER, good_claims(**{claim: _DROP}), now=NOW)
    missing = [v for v in violations if v.code == "missing-claim"]
    assert [v.field for v in missing] == [claim]
    assert missing[0].message == f"Missing required claim: {claim}."


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "HS512", "hs256", "ES256", "PS256"])
def test_disallowed_algorithms(alg: str) -> None:
    assert codes({**HEADER, "alg": alg}) == ["alg-not-allowed"]


def test_missing_alg() -> None:
    assert codes({"kid": "key-1"}) == ["alg-not-allowed"]


def test_rs384_and_rs512_only_when_enabled() -> None:
    for alg in ("RS384", "RS512"):
        assert codes({**HEADER, "alg": alg}) == ["alg-not-allowed"]
        assert codes({**HEADER, "alg": alg}, algorithms={"RS256", alg}) == []


def test_algorithms_option_cannot_enable_hmac_or_none() -> None:
    with pytest.raises(ValueError, match="HS256"):
        check(HEADER, good_claims(), now=NOW, algorithms={"HS256"})


@pytest.mark.parametrize("kid", [None, "", 42])
def test_missing_or_invalid_kid(kid: Any) -> None:
    header = {k: v for k, v in {**HEADER, "kid": kid}.items() if v is not None}
    assert codes(header) == ["missing-kid"]


def test_kid_mismatch() -> None:
    assert codes(key_id="key-2") == ["kid-mismatch"]


def test_untrimmed_kid_and_issuer() -> None:
    assert codes({**HEADER, "kid": " key-1"}) == ["untrimmed-value"]
    assert codes(claims=good_claims(iss="myorganization.com ")) == ["untrimmed-value"]


def test_issuer_mismatch_is_case_sensitive() -> None:
    assert codes(issuer="MyOrganization.com") == ["issuer-mismatch"]


@pytest.mark.parametrize(
    "aud", ["qlik.api/login/jwt-session/", "qlik.api", "", None, [AUDIENCE, "other"], [AUDIENCE]]
)
def test_wrong_audience(aud: Any) -> None:
    assert codes(claims=good_claims(aud=aud)) == ["wrong-audience"]


def test_audience_list_accepted_only_when_asked() -> None:
    assert codes(claims=good_claims(aud=[AUDIENCE, "other"]), audience_list=True) == []
    assert codes(claims=good_claims(aud=["other"]), audience_list=True) == ["wrong-audience"]


@pytest.mark.parametrize("subtype", ["User", "admin", "service"])
def test_bad_subtype(subtype: str) -> None:
    assert codes(claims=good_claims(subType=subtype)) == ["bad-subtype"]


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("sub", 12345),
        ("name", ["x"]),
        ("email", None),
        ("email_verified", "true"),
        ("email_verified", 1),
        ("jti", 1.5),
        ("jti", True),
        ("iat", "1767225600"),
        ("nbf", None),
        ("exp", True),
        ("exp", float("nan")),
    ],
)
def test_bad_claim_types(claim: str, value: Any) -> None:
    violations = check(HEADER, good_claims(**{claim: value}), now=NOW)
    assert [(v.code, v.field) for v in violations] == [("bad-claim-type", claim)]


@pytest.mark.parametrize("claim", ["sub", "name", "email", "jti", "iss", "subType"])
def test_empty_claims(claim: str) -> None:
    violations = check(HEADER, good_claims(**{claim: "  "}), now=NOW)
    assert [(v.code, v.field) for v in violations] == [("empty-claim", claim)]


@pytest.mark.parametrize(
    "groups", ["Finance", ["Finance", ""], ["Finance", 3], {"a": 1}, [None], [" "]]
)
def test_bad_groups(groups: Any) -> None:
    assert codes(claims=good_claims(groups=groups)) == ["bad-groups"]


def test_empty_groups_list_is_fine() -> None:
    assert codes(claims=good_claims(groups=[])) == []


def test_not_yet_valid_with_and_without_tolerance() -> None:
    claims = good_claims(iat=NOW + 1, nbf=NOW + 1, exp=NOW + 61)  # Node tutorial's notBefore "1s"
    assert codes(claims=claims) == ["not-yet-valid"]
    assert codes(claims=claims, clock_tolerance=5) == []


def test_nbf_equal_to_now_is_valid() -> None:
    assert codes(claims=good_claims(nbf=NOW)) == []


def test_expired_boundary_is_exclusive() -> None:
    assert codes(claims=good_claims(iat=NOW - 60, nbf=NOW - 60, exp=NOW)) == ["expired"]
    assert codes(claims=good_claims(iat=NOW - 60, nbf=NOW - 60, exp=NOW + 1)) == []


def test_expired_within_tolerance_passes() -> None:
    claims = good_claims(iat=NOW - 62, nbf=NOW - 62, exp=NOW - 2)
    assert codes(claims=claims) == ["expired"]
    assert codes(claims=claims, clock_tolerance=5) == []


def test_window_over_an_hour() -> None:
    assert codes(claims=good_claims(exp=NOW + 3601)) == ["window-too-long"]
    assert codes(claims=good_claims(exp=NOW + 3600)) == []


def test_iat_in_future_checked_only_when_asked() -> None:
    claims = good_claims(iat=NOW + 30)
    assert codes(claims=claims) == []
    assert codes(claims=claims, reject_future_iat=True) == ["iat-in-future"]


def test_every_violation_is_reported_at_once() -> None:
    header = {"alg": "HS256"}
    claims = {"aud": "x", "subType": "admin", "exp": NOW - 10, "nbf": NOW - 5000}
    found = set(codes(header, claims=claims))
    assert {
        "alg-not-allowed",
        "missing-kid",
        "missing-claim",
        "wrong-audience",
        "bad-subtype",
        "expired",
        "window-too-long",
    } <= found


def test_every_violation_code_is_a_documented_rule() -> None:
    claims = {"aud": 1, "subType": "x", "groups": "g", "iat": "x", "nbf": NOW + 99, "exp": NOW}
    for violation in check({"alg": "none", "kid": " k"}, claims, now=NOW):
        assert violation.code in RULES
        assert violation.fix == RULES[violation.code].fix


def test_negative_tolerance_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="clock_tolerance"):
        check(HEADER, good_claims(), now=NOW, clock_tolerance=-1)


@pytest.mark.parametrize("now", [float("nan"), float("inf"), "1767225600"])
def test_a_now_that_is_not_a_finite_number_is_a_programming_error(now: object) -> None:
    """With nan every time comparison is false: an expired token would pass."""
    with pytest.raises(ValueError, match="now must be a finite number"):
        check(HEADER, good_claims(exp=NOW - 10), now=now)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**4000)  # beyond a float's range
    | st.floats()
    | st.text(max_size=20)
    | st.text(max_size=2000),
    lambda inner: (
        st.lists(inner, max_size=40) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=60,
)


@given(
    header=st.dictionaries(st.sampled_from(["alg", "kid", "typ", "x"]), json_values),
    claims=st.dictionaries(
        st.sampled_from([*contract.REQUIRED_CLAIMS, "iat", "nbf", "exp", "groups", "x"]),
        json_values,
    ),
)
def test_check_never_raises_and_only_emits_documented_codes(
    header: dict[str, Any], claims: dict[str, Any]
) -> None:
    for violation in check(header, claims, now=NOW, clock_tolerance=3):
        assert violation.code in RULES
        assert len(violation.message) <= 400  # values are shown shortened, whatever their size
