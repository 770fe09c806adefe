"""inspect_token explains tokens and never raises for bad token text."""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from qlik_jwt.inspection import inspect_token
from qlik_jwt.signer import TokenSigner, UserClaims

NOW = 1_767_225_600
USER = UserClaims("app|1", "A", "a@example.com", True)


def test_a_bearer_prefix_is_named_with_its_fix(rsa_key: rsa.RSAPrivateKey) -> None:
    token = TokenSigner(rsa_key, "k", "iss", clock=lambda: NOW).mint(USER)
    for text in (f"Bearer {token}", f"  bearer {token}\n", f"Bearer {token}".encode()):
        report = inspect_token(text, now=NOW)
        assert [v.code for v in report.violations] == ["malformed-token"]
        assert "Drop the 'Bearer ' prefix" in report.violations[0].fix
    assert inspect_token(token, now=NOW).valid


def test_good_token_with_signature(rsa_key: rsa.RSAPrivateKey) -> None:
    token = TokenSigner(rsa_key, "k", "iss", clock=lambda: NOW).mint(USER)
    report = inspect_token(
        token, now=NOW, public_key=rsa_key.public_key(), issuer="iss", key_id="k"
    )
    assert report.valid and report.signature_checked
    assert report.claims["sub"] == "app|1"
    assert report.as_dict()["valid"] is True


def test_wrong_key_and_expiry_are_both_reported(
    rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    token = TokenSigner(rsa_key, "k", "iss", clock=lambda: NOW).mint(USER)
    report = inspect_token(token, now=NOW + 120, public_key=other_rsa_key.public_key())
    assert [v.code for v in report.violations] == ["expired", "bad-signature"]


def test_boilerplate_style_token_is_explained(rsa_key: rsa.RSAPrivateKey) -> None:
    """What Qlik's Node boilerplate mints: no jti, no nbf."""
    claims = {
        "sub": "anon_1",
        "subType": "user",
        "name": "anon_1",
        "email": "x@anonymoususer.anon",
        "email_verified": True,
        "groups": [],
        "iss": "iss",
        "aud": "qlik.api/login/jwt-session",
        "iat": NOW,
        "exp": NOW + 30,
    }
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "k"})
    report = inspect_token(token, now=NOW)
    assert [(v.code, v.field) for v in report.violations] == [
        ("missing-claim", "jti"),
        ("missing-claim", "nbf"),
    ]


def test_malformed_text_is_one_violation() -> None:
    report = inspect_token("not a token", now=NOW)
    assert [v.code for v in report.violations] == ["malformed-token"]
    assert report.header == {} and not report.valid


@given(st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_input_never_raises(data: bytes | str) -> None:
    report = inspect_token(data, now=NOW)
    assert isinstance(report.valid, bool)
