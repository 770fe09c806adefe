"""Explain a token: decode it, check it against Qlik's contract and, given a key, its signature."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from qlik_jwt import contract, jws
from qlik_jwt.contract import Violation
from qlik_jwt.errors import MalformedTokenError

__all__ = ["Report", "inspect_token"]


@dataclass(frozen=True)
class Report:
    """What a token says and every reason Qlik would refuse it (``violations``)."""

    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    signature_checked: bool = False

    @property
    def valid(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "signature_checked": self.signature_checked,
            "violations": [v.as_dict() for v in self.violations],
            "header": self.header,
            "claims": self.claims,
        }


def inspect_token(
    token: str | bytes,
    *,
    now: float,
    public_key: RSAPublicKey | None = None,
    issuer: str | None = None,
    key_id: str | None = None,
    clock_tolerance: float = 0,
) -> Report:
    """Decode ``token`` and list every violation; never raises for bad token text.

    A token that cannot be decoded gives one ``malformed-token`` violation. With
    ``public_key`` the signature is verified too (``bad-signature``).
    """
    try:
        decoded = jws.decode(token)
    except MalformedTokenError as exc:
        rule = contract.RULES["malformed-token"]
        text = token.decode("utf-8", "replace") if isinstance(token, bytes) else token
        if text.strip()[:7].lower() == "bearer ":  # copied from an Authorization header
            message = "The text starts with 'Bearer ', the Authorization header's scheme."
            fix = "Drop the 'Bearer ' prefix and pass the token alone."
            return Report(violations=[Violation(rule.code, message, fix)])
        return Report(violations=[Violation(rule.code, str(exc), rule.fix)])
    violations = contract.check(
        decoded.header,
        decoded.claims,
        now=now,
        issuer=issuer,
        key_id=key_id,
        clock_tolerance=clock_tolerance,
    )
    if public_key is not None and not jws.verify_signature(decoded, public_key):
        rule = contract.RULES["bad-signature"]
        violations.append(
            Violation(rule.code, "The signature does not verify with the given key.", rule.fix)
        )
    return Report(decoded.header, decoded.claims, violations, public_key is not None)
