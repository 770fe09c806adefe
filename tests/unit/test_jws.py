"""Strict decoding: everything that is not exactly header.claims.signature is refused clearly."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from qlik_jwt import jws
from qlik_jwt.errors import MalformedTokenError
from qlik_jwt.signer import TokenSigner, UserClaims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def part(obj: object) -> str:
    return b64(json.dumps(obj).encode())


GOOD = f"{part({'alg': 'RS256', 'kid': 'k'})}.{part({'sub': 'x'})}.{b64(b'sig')}"


def test_decodes_parts() -> None:
    decoded = jws.decode(GOOD)
    assert decoded.header == {"alg": "RS256", "kid": "k"}
    assert decoded.claims == {"sub": "x"}
    assert decoded.signature == b"sig"
    assert decoded.signing_input == GOOD.rsplit(".", 1)[0].encode()


def test_surrounding_whitespace_is_tolerated() -> None:
    assert jws.decode(f"  {GOOD}\n").claims == {"sub": "x"}


HEAD = json.dumps({"alg": "RS256"}).encode()


def raw(header: bytes, claims: bytes, signature: str = "c2ln") -> str:
    return f"{b64(header)}.{b64(claims)}.{signature}"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("", "empty"),
        ("abc", "3 dot-separated parts"),
        ("a.b.c.d", "3 dot-separated parts"),
        (raw(HEAD, b'{"a":1}', "si=g"), "signature is not base64url"),
        (raw(b"[1]", b'{"a":1}'), "header is JSON but not an object"),
        (raw(b"not json", b'{"a":1}'), "header is not JSON"),
        (raw(HEAD, b"\xff\xfe"), "claims part is not UTF-8"),
        (raw(HEAD, b'{"a":1,"a":2}'), "repeats the key 'a'"),
        (raw(HEAD, b'{"exp":Infinity}'), "Infinity"),
        (raw(HEAD, b'{"exp":NaN}'), "NaN"),
        (raw(HEAD, b"[" * 100000), "over the limit"),
        ("\u00e9.b.c", "not base64url"),
    ],
)
def test_malformed_tokens(token: str, reason: str) -> None:
    with pytest.raises(MalformedTokenError, match=reason):
        jws.decode(token)


def test_non_ascii_bytes() -> None:
    with pytest.raises(MalformedTokenError, match="non-ASCII"):
        jws.decode(b"\xff.a.b")


def test_deep_nesting_is_malformed_not_a_crash() -> None:
    token = raw(HEAD, b'{"x":' + b"[" * 5000 + b"]" * 5000 + b"}")
    with pytest.raises(MalformedTokenError):
        jws.decode(token, max_length=len(token))


def test_verify_signature(rsa_key: rsa.RSAPrivateKey, other_rsa_key: rsa.RSAPrivateKey) -> None:
    token = TokenSigner(rsa_key, "k", "iss").mint(UserClaims("s", "n", "e@x.y", False))
    decoded = jws.decode(token)
    assert jws.verify_signature(decoded, rsa_key.public_key())
    assert not jws.verify_signature(decoded, other_rsa_key.public_key())
    header, claims, signature = token.split(".")
    tampered = jws.decode(f"{header}.{part({**decoded.claims, 'sub': 'admin'})}.{signature}")
    assert not jws.verify_signature(tampered, rsa_key.public_key())
    stripped = jws.decode(f"{header}.{claims}.")
    assert not jws.verify_signature(stripped, rsa_key.public_key())


def test_hmac_with_public_key_never_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    """Key confusion: an HS256 token 'signed' with the public key bytes must not pass."""
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{part({'alg': 'HS256', 'kid': 'k'})}.{part({'sub': 'admin'})}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    decoded = jws.decode(f"{signing_input}.{b64(mac)}")
    assert not jws.verify_signature(decoded, rsa_key.public_key())


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(MalformedTokenError):
        jws.decode(data)


@given(st.text(alphabet='abcXYZ019-_.=+/ {}"', max_size=120))
def test_arbitrary_token_like_text_never_crashes(text: str) -> None:
    with contextlib.suppress(MalformedTokenError):
        jws.decode(text)
