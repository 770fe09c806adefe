"""Strict decoding of compact JWS tokens and signature verification.

Stricter than a general JWT library on purpose: duplicate JSON keys, ``NaN``/``Infinity``,
padding or non-base64url characters and oversized input are refused, because a verifier
(the emulator) and an explainer (``inspect``) must agree on what a token *says*.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from qlik_jwt.errors import MalformedTokenError

__all__ = ["MAX_TOKEN_LENGTH", "DecodedToken", "b64url_decode", "decode", "verify_signature"]

MAX_TOKEN_LENGTH = 16 * 1024
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_HASHES = {
    "RS256": RSAAlgorithm.SHA256,
    "RS384": RSAAlgorithm.SHA384,
    "RS512": RSAAlgorithm.SHA512,
}


@dataclass(frozen=True)
class DecodedToken:
    """The parts of a compact JWS. Nothing here has been verified."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def b64url_decode(part: str, what: str) -> bytes:
    """Decode unpadded base64url text, or raise :class:`MalformedTokenError` naming ``what``."""
    if not _B64URL.fullmatch(part) or len(part) % 4 == 1:
        raise MalformedTokenError(f"The {what} is not base64url text without padding.")
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - regex already guards
        raise MalformedTokenError(f"The {what} is not valid base64url: {exc}.") from None
    # The unused low bits of the last character must be zero: otherwise several texts
    # decode to the same bytes, and one signed token could be re-sent spelled differently.
    if base64.urlsafe_b64encode(data).rstrip(b"=") != part.encode("ascii"):
        raise MalformedTokenError(f"The {what} is not canonical base64url (stray trailing bits).")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedTokenError(f"The JSON repeats the key {key!r}.")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise MalformedTokenError(f"The JSON holds {name}, which is not valid JSON.")


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
        )
    except UnicodeDecodeError:
        raise MalformedTokenError(f"The {what} is not UTF-8 text.") from None
    except RecursionError:
        raise MalformedTokenError(f"The {what} nests too deeply.") from None
    except json.JSONDecodeError as exc:
        raise MalformedTokenError(f"The {what} is not JSON: {exc.msg}.") from None
    except ValueError:  # Python refuses to read integers of more than 4300 digits
        raise MalformedTokenError(f"The {what} holds an integer with too many digits.") from None
    if not isinstance(value, dict):
        raise MalformedTokenError(f"The {what} is JSON but not an object.")
    return value


def decode(token: str | bytes, *, max_length: int = MAX_TOKEN_LENGTH) -> DecodedToken:
    """Split and decode a compact JWS without verifying it.

    Raises :class:`MalformedTokenError` with a one-sentence reason for anything that is not
    exactly ``header.claims.signature`` with JSON object header and claims.
    """
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedTokenError("The token holds non-ASCII bytes.") from None
    token = token.strip()
    if not token:
        raise MalformedTokenError("The token is empty.")
    if len(token) > max_length:
        raise MalformedTokenError(
            f"The token is {len(token)} characters long, over the limit of {max_length}."
        )
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedTokenError(f"A JWT has 3 dot-separated parts; this text has {len(parts)}.")
    header_b64, claims_b64, signature_b64 = parts
    header = _json_object(b64url_decode(header_b64, "header"), "header")
    claims = _json_object(b64url_decode(claims_b64, "claims part"), "claims part")
    signature = b64url_decode(signature_b64, "signature")
    return DecodedToken(header, claims, f"{header_b64}.{claims_b64}".encode("ascii"), signature)


def verify_signature(token: DecodedToken, public_key: RSAPublicKey) -> bool:
    """True when the signature verifies with ``public_key`` under the header's RS* ``alg``.

    Any other ``alg`` (``none``, ``HS*``, ``ES*``) gives False: this never falls back to
    treating the public key as an HMAC secret.
    """
    hash_alg = _HASHES.get(str(token.header.get("alg")))
    if hash_alg is None or not token.signature:
        return False
    return bool(RSAAlgorithm(hash_alg).verify(token.signing_input, public_key, token.signature))
