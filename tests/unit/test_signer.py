"""Minted tokens meet every Qlik rule, verify with PyJWT, and bad input is refused clearly."""

from __future__ import annotations

import threading
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from qlik_jwt import contract, keys
from qlik_jwt.errors import ClaimsError, ConfigurationError
from qlik_jwt.signer import TokenSigner, UserClaims

NOW = 1_767_225_600.7
ADA = UserClaims("app|42", "Ada Lovelace", "ada@example.com", True, ("Finance", "Sales"))


def signer(key: rsa.RSAPrivateKey, **kwargs: Any) -> TokenSigner:
    return TokenSigner(key, "kid-1", "myorganization.com", clock=lambda: NOW, **kwargs)


def verify(token: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
    certificate = keys.self_signed_certificate(key)
    return jwt.decode(
        token,
        certificate.public_key(),  # type: ignore[arg-type]
        algorithms=["RS256"],
        audience=contract.AUDIENCE,
        issuer="myorganization.com",
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )


def test_token_has_every_required_claim_and_header(rsa_key: rsa.RSAPrivateKey) -> None:
    token = signer(rsa_key).mint(ADA)
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "RS256", "kid": "kid-1"}
    claims = verify(token, rsa_key)
    assert claims == {
        "iss": "myorganization.com",
        "aud": "qlik.api/login/jwt-session",
        "sub": "app|42",
        "subType": "user",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "email_verified": True,
        "jti": claims["jti"],
        "iat": 1_767_225_600,
        "nbf": 1_767_225_600,
        "exp": 1_767_225_660,
        "groups": ["Finance", "Sales"],
    }
    assert contract.check(jwt.get_unverified_header(token), claims, now=NOW) == []


def test_jti_is_128_bits_and_unique(rsa_key: rsa.RSAPrivateKey) -> None:
    s = signer(rsa_key)
    jtis = {verify(s.mint(ADA), rsa_key)["jti"] for _ in range(200)}
    assert len(jtis) == 200
    assert all(len(j) == 32 and int(j, 16) >= 0 for j in jtis)


def test_no_groups_claim_when_user_has_none(rsa_key: rsa.RSAPrivateKey) -> None:
    user = UserClaims("s", "n", "n@example.com", False)
    claims = verify(signer(rsa_key).mint(user), rsa_key)
    assert "groups" not in claims
    assert claims["email_verified"] is False


def test_backdate_counts_inside_the_hour(rsa_key: rsa.RSAPrivateKey) -> None:
    claims = verify(signer(rsa_key, lifetime=3590, backdate=10).mint(ADA), rsa_key)
    assert claims["nbf"] == claims["iat"] == 1_767_225_590
    assert claims["exp"] - claims["nbf"] == 3600


def test_key_id_defaults_to_thumbprint(rsa_key: rsa.RSAPrivateKey) -> None:
    s = TokenSigner(rsa_key, None, "iss")
    assert s.key_id == keys.key_id_for(rsa_key.public_key())
    assert jwt.get_unverified_header(s.mint(ADA))["kid"] == s.key_id


def test_signer_loads_key_from_path_once(rsa_key: rsa.RSAPrivateKey, key_dir: Any) -> None:
    s = TokenSigner(key_dir / "private.pem", "k", "iss")
    verify_key = rsa_key.public_key()
    token = s.mint(ADA)
    assert jwt.decode(token, verify_key, algorithms=["RS256"], audience=contract.AUDIENCE)


def test_minted_token_facts_are_loggable(rsa_key: rsa.RSAPrivateKey) -> None:
    minted = signer(rsa_key).mint_token(ADA)
    assert minted.sub == "app|42" and minted.expires_at == 1_767_225_660
    assert minted.token not in repr(minted)
    assert minted.jti == verify(minted.token, rsa_key)["jti"]


def test_repr_never_shows_the_key(rsa_key: rsa.RSAPrivateKey) -> None:
    assert "PRIVATE" not in repr(signer(rsa_key))


def test_concurrent_minting_is_safe(rsa_key: rsa.RSAPrivateKey) -> None:
    s = TokenSigner(rsa_key, "kid-1", "myorganization.com")
    tokens: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(25):
            token = s.mint(ADA)
            with lock:
                tokens.append(token)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 200
    assert len({verify(t, rsa_key)["jti"] for t in tokens}) == 200


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"lifetime": 4000},
            r"lifetime: must be a whole number of seconds from 1 to 3600 \(got 4000\)",
        ),
        ({"lifetime": 0}, "lifetime: must be"),
        ({"lifetime": 1.5}, "lifetime: must be"),
        ({"lifetime": True}, "lifetime: must be"),
        ({"backdate": -1}, "backdate: must be"),
        ({"backdate": 301}, "backdate: must be"),
        ({"lifetime": 3600, "backdate": 1}, "plus backdate"),
        ({"algorithm": "HS256"}, "algorithm: must be RS256"),
    ],
)
def test_bad_signer_settings(rsa_key: rsa.RSAPrivateKey, kwargs: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TokenSigner(rsa_key, "k", "iss", **kwargs)


@pytest.mark.parametrize(
    ("key_id", "issuer", "message"),
    [
        ("k", "", "issuer: must be a non-empty string"),
        ("k", " iss", "issuer: has leading or trailing whitespace"),
        ("", "iss", "key_id: must be a non-empty string"),
        ("k ", "iss", "key_id: has leading or trailing whitespace"),
    ],
)
def test_bad_issuer_or_key_id(
    rsa_key: rsa.RSAPrivateKey, key_id: str, issuer: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        TokenSigner(rsa_key, key_id, issuer)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sub": ""}, "sub: must not be empty"),
        ({"sub": " x"}, "sub: has leading or trailing whitespace"),
        ({"sub": 5}, "sub: must be a string"),
        ({"name": ""}, "name: must not be empty"),
        (
            {"email": "ada.example.com"},
            r"email: is not an e-mail address \(got 'ada.example.com'\)",
        ),
        ({"email": "a@b@c"}, "email: is not an e-mail address"),
        ({"email": "a b@c.d"}, "email: is not an e-mail address"),
        ({"email": "@c.d"}, "email: is not an e-mail address"),
        ({"email_verified": "yes"}, "email_verified: must be True or False"),
        ({"email_verified": None}, "email_verified: must be True or False"),
        ({"groups": "Finance"}, "groups: must be a list of group names"),
        ({"groups": 3}, "groups: must be a list of group names"),
        ({"groups": ["ok", ""]}, "groups: must hold only non-empty strings"),
        ({"groups": ["ok", 1]}, "groups: must hold only non-empty strings"),
    ],
)
def test_bad_user_claims(kwargs: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "sub": "s",
        "name": "n",
        "email": "n@example.com",
        "email_verified": True,
        "groups": (),
    }
    fields.update(kwargs)
    with pytest.raises(ClaimsError, match=message):
        UserClaims(**fields)


def test_groups_from_any_iterable_become_a_tuple() -> None:
    assert UserClaims("s", "n", "n@e.x", True, ["a", "b"]).groups == ("a", "b")  # type: ignore[arg-type]


def test_mint_refuses_non_user_claims(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(TypeError, match="UserClaims"):
        signer(rsa_key).mint({"sub": "x"})  # type: ignore[arg-type]


printable = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=30
)


@st.composite
def users(draw: st.DrawFn) -> UserClaims:
    local = draw(st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z0-9-]{1,20}\.[a-z]{2,6}", fullmatch=True))
    return UserClaims(
        sub=draw(printable),
        name=draw(printable),
        email=f"{local}@{domain}",
        email_verified=draw(st.booleans()),
        groups=tuple(draw(st.lists(printable, max_size=5))),
    )


@settings(max_examples=60, deadline=None)
@given(user=users(), lifetime=st.integers(1, 3300), backdate=st.integers(0, 300))
def test_any_valid_user_gives_a_token_the_contract_accepts(
    rsa_key: rsa.RSAPrivateKey, user: UserClaims, lifetime: int, backdate: int
) -> None:
    s = TokenSigner(
        rsa_key, "kid-1", "iss", lifetime=lifetime, backdate=backdate, clock=lambda: NOW
    )
    token = s.mint(user)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert contract.check(header, claims, now=NOW, issuer="iss", key_id="kid-1") == []
    assert claims["sub"] == user.sub and claims.get("groups", []) == list(user.groups)


def test_the_key_id_may_be_left_out_and_the_issuer_may_not(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = TokenSigner(rsa_key, issuer="iss")
    assert signer.key_id == keys.key_id_for(rsa_key.public_key())
    assert TokenSigner(rsa_key, None, "iss").key_id == signer.key_id
    with pytest.raises(TypeError, match="needs issuer"):
        TokenSigner(rsa_key, "kid")  # type: ignore[call-overload]
