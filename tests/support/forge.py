"""Forging JWTs by hand, byte by byte, as an attacker would: the tools of the attack catalogue.

:class:`Forge` signs exactly the header and claims bytes it is given (duplicate keys, literals
Python's ``json`` would never write, foreign algorithms), with the registered key, an
attacker's key, or an HMAC keyed with the public key. The functions below build the cases
that need more than one line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from qlik_jwt import keys
from qlik_jwt.contract import AUDIENCE
from qlik_jwt.emulator.state.users import ADMIN_SUBJECT

ISSUER = "attacks.example.com"
KID = "attacks-key-1"
TOLERANCE = 5  # the identity provider's clockToleranceSec

Json = Mapping[str, Any]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def as_bytes(part: Json | bytes) -> bytes:
    return part if isinstance(part, bytes) else json.dumps(part, separators=(",", ":")).encode()


def changed(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied: a value replaces, ``...`` removes the field."""
    result = dict(base)
    for name, value in changes.items():
        if value is ...:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def claim_set(now: float, **changes: Any) -> dict[str, Any]:
    """A claim set Qlik accepts at ``now`` (60 s lifetime), with ``changes`` applied."""
    issued = int(now)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "attacks|mallory",
        "subType": "user",
        "name": "Mallory",
        "email": "mallory@example.com",
        "email_verified": True,
        "jti": uuid.uuid4().hex,
        "iat": issued,
        "nbf": issued,
        "exp": issued + 60,
        "groups": ["Finance"],
    }
    return changed(claims, changes)


@dataclass(frozen=True)
class Forge:
    """Builds tokens as an attacker would: by hand, byte by byte, at the tenant's ``now``."""

    key: rsa.RSAPrivateKey  # the key registered with the identity provider
    attacker_key: rsa.RSAPrivateKey
    now: float

    @property
    def spki_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def claims(self, **changes: Any) -> dict[str, Any]:
        """A valid claim set; ``changes`` replace claims (value ``...`` removes one)."""
        return claim_set(self.now, **changes)

    def header(self, **changes: Any) -> dict[str, Any]:
        return changed({"alg": "RS256", "kid": KID, "typ": "JWT"}, changes)

    def sign(
        self,
        header: Json | bytes | None = None,
        claims: Json | bytes | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        hash_alg: hashes.HashAlgorithm | None = None,
        pss: bool = False,
    ) -> str:
        """``header.claims.signature`` with an RSA signature over exactly these bytes."""
        signing_input = self.signing_input(header, claims)
        pad: padding.AsymmetricPadding = (
            padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            if pss
            else padding.PKCS1v15()
        )
        signature = (key or self.key).sign(signing_input.encode(), pad, hash_alg or hashes.SHA256())
        return f"{signing_input}.{b64(signature)}"

    def hmac_sign(self, secret: bytes, claims: Json | None = None) -> str:
        """HS256 keyed with ``secret``: the key-confusion attack when it is the public key."""
        signing_input = self.signing_input(self.header(alg="HS256"), claims)
        digest = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(digest)}"

    def signing_input(self, header: Json | bytes | None, claims: Json | bytes | None) -> str:
        head = self.header() if header is None else header
        body = self.claims() if claims is None else claims
        return f"{b64(as_bytes(head))}.{b64(as_bytes(body))}"

    def valid(self, **changes: Any) -> str:
        return self.sign(claims=self.claims(**changes))


# --- cases that need more than one line ---------------------------------------------------


def flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def signature_altered(f: Forge) -> str:
    token = f.valid()
    head, _, signature = token.rpartition(".")
    return f"{head}.{flip(signature, len(signature) // 2)}"


def signature_truncated(f: Forge) -> str:
    head, _, signature = f.valid().rpartition(".")
    return f"{head}.{signature[: len(signature) // 8 * 4]}"  # whole base64 quanta: 4n characters


def payload_altered(f: Forge) -> str:
    header, _, signature = f.valid(sub="attacks|mallory").split(".")
    forged = b64(as_bytes(f.claims(sub=ADMIN_SUBJECT)))
    return f"{header}.{forged}.{signature}"


def header_altered(f: Forge) -> str:
    _, claims, signature = f.valid().split(".")
    return f"{b64(as_bytes(f.header(typ='at+jwt')))}.{claims}.{signature}"


def spliced(f: Forge) -> str:
    header, claims, _ = f.valid(sub="attacks|mallory").split(".")
    signature = f.valid(sub="attacks|trent").split(".")[2]
    return f"{header}.{claims}.{signature}"


def non_canonical_signature(f: Forge) -> str:
    """The same signature bytes, spelled with non-zero unused bits in the last character."""
    head, _, signature = f.valid().rpartition(".")
    last = signature[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # a 256-byte signature ends in a character carrying 2 bits of data and 4 unused bits
    respelled = alphabet[alphabet.index(last) | 0b0001]
    assert respelled != last, "the registered key's signature must end on a zero bit"
    return f"{head}.{signature[:-1]}{respelled}"


def jwk_injection(f: Forge) -> str:
    numbers = f.attacker_key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "kid": KID,
        "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64(numbers.e.to_bytes(3, "big")),
    }
    header = f.header(jwk=jwk, jku="https://evil.example/jwks.json", x5u="https://evil.example/c")
    return f.sign(header, key=f.attacker_key)


def groups(count: int) -> list[str]:
    return [f"group-{n:05d}" for n in range(count)]


def raw_claims(f: Forge, text: str) -> str:
    """Claims given as JSON text (duplicate keys, literals Python's json would not write)."""
    return f.sign(claims=text.encode())


def with_literal(f: Forge, name: str, literal: str) -> str:
    """Valid claims, but claim ``name`` written as the JSON text ``literal``."""
    others = json.dumps(f.claims(**{name: ...}), separators=(",", ":"))
    return raw_claims(f, f'{others[:-1]},"{name}":{literal}}}')


def duplicate_sub(f: Forge) -> str:
    claims = json.dumps(f.claims(), separators=(",", ":"))
    return raw_claims(f, f'{claims[:-1]},"sub":"{ADMIN_SUBJECT}"}}')


def hs256_with_certificate(f: Forge) -> str:
    """HS256 keyed with the single-line certificate PEM exactly as the provider stores it."""
    certificate = keys.certificate_pem(keys.self_signed_certificate(f.key))
    return f.hmac_sign(keys.single_line_pem(certificate).encode())


def bad_base64_length(f: Forge) -> str:
    """A signature part of 4n+1 characters, which no byte string encodes to."""
    token = f.valid()
    signature = token.rpartition(".")[2]
    return token + "A" * ((1 - len(signature)) % 4)
